"""Market sources: candle replay, seeded synthetic process, mirror of an upstream exchange."""

from __future__ import annotations

from decimal import Decimal

from src.venues.kraken_paper import PaperExchange
from src.venues.kraken_paper.sources import (
    DATA_DIR,
    REPLAY_FILES,
    ReplaySource,
    SyntheticSource,
    load_hourly,
)
from tests.integration.paper.kraken_client import Client


async def test_replay_follows_real_candles() -> None:
    rows = load_hourly(DATA_DIR / REPLAY_FILES["XXBTZUSD"], limit=40)
    src = ReplaySource(seed=1)
    await src.backfill(0.0, 720)  # 12 hourly candles consumed
    for _ in range(4 * 60):  # one hour of 15-second steps
        ticks = {t.pair_key: t for t in await src.step(15.0, 0.0)}
        idx = int((src.sim_t - rows[0][0]) // 3600)
        _, _, high, low, _ = rows[idx]
        price = float(ticks["XXBTZUSD"].trades[0][0])
        assert low - 1e-6 <= price <= high + 1e-6
        eth, btc = (float(ticks[k].trades[0][0]) for k in ("XETHZUSD", "XXBTZUSD"))
        assert abs(float(ticks["XETHXXBT"].trades[0][0]) - eth / btc) < 1e-6


async def test_synthetic_is_seeded() -> None:
    async def path(seed: int) -> list[Decimal]:
        src = SyntheticSource(seed=seed)
        return [t.trades[0][0] for _ in range(20) for t in await src.step(60.0, 0.0)]

    assert await path(3) == await path(3)
    assert await path(3) != await path(4)


async def test_replay_exchange_book_ticker_trades_consistent() -> None:
    async with PaperExchange(market="replay", speed=600, auto_tick=False) as ex:
        c = Client(ex.rest_url, ex.api_key, ex.api_secret)
        for _ in range(5):
            await ex.step()
            tick = (await c.public("Ticker", pair="XBTUSD"))["result"]["XXBTZUSD"]
            trades = (await c.public("Trades", pair="XBTUSD", count=1000))["result"]["XXBTZUSD"]
            assert tick["c"][0] == trades[-1][0]
            assert Decimal(tick["b"][0]) < Decimal(tick["c"][0]) < Decimal(tick["a"][0])
        await c.aclose()


async def test_mirror_copies_upstream_public_data() -> None:
    async with PaperExchange(market="synthetic", seed=11, auto_tick=False) as upstream:
        upstream.drive("XBTUSD", "41234.5")
        async with PaperExchange(
            market="mirror", upstream=upstream.rest_url, auto_tick=False
        ) as ex:
            c = Client(ex.rest_url, ex.api_key, ex.api_secret)
            up = Client(upstream.rest_url, upstream.api_key, upstream.api_secret)
            await ex.step()  # first poll: book only
            upstream.drive("XBTUSD", "41300.0", qty="0.2")
            await ex.step()
            mine = (await c.public("Depth", pair="XBTUSD", count=5))["result"]["XXBTZUSD"]
            theirs = (await up.public("Depth", pair="XBTUSD", count=5))["result"]["XXBTZUSD"]
            assert [r[:2] for r in mine["asks"]] == [r[:2] for r in theirs["asks"]]
            tick = (await c.public("Ticker", pair="XBTUSD"))["result"]["XXBTZUSD"]
            assert tick["c"][0] == "41300.00000"
            ohlc = (await c.public("OHLC", pair="XBTUSD"))["result"]["XXBTZUSD"]
            assert len(ohlc) >= 700
            # trading against the mirrored book works
            res = await c.ok(
                "AddOrder", pair="XBTUSD", type="buy", ordertype="market", volume="0.001"
            )
            order = (await c.ok("QueryOrders", txid=res["txid"][0]))[res["txid"][0]]
            assert Decimal(order["price"]) == Decimal(theirs["asks"][0][0])
            await c.aclose()
            await up.aclose()
