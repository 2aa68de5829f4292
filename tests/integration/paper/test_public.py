"""Public REST endpoints: paths, shapes and pair naming."""

from __future__ import annotations

import itertools
from decimal import Decimal

from src.venues.kraken_paper import PaperExchange
from tests.integration.paper.kraken_client import Client

PAIR_KEYS = {"XXBTZUSD", "XETHZUSD", "SOLUSD", "XXRPZUSD", "XDGUSD", "XETHXXBT"}


async def test_time_and_status(client: Client, exchange: PaperExchange) -> None:
    t = (await client.public("Time"))["result"]
    assert t["unixtime"] == int(exchange.now())
    assert t["rfc1123"].endswith("+0000")
    s = (await client.public("SystemStatus"))["result"]
    assert s["status"] == "online" and s["timestamp"].endswith("Z")


async def test_asset_pairs_fields_and_names(client: Client) -> None:
    pairs = (await client.public("AssetPairs"))["result"]
    assert set(pairs) >= PAIR_KEYS and len(pairs) == 683  # the whole ~2024-04 universe
    btc = pairs["XXBTZUSD"]
    for field in ("altname", "wsname", "base", "quote", "pair_decimals", "lot_decimals",
                  "cost_decimals", "ordermin", "costmin", "tick_size", "status", "fees",
                  "fees_maker", "fee_volume_currency"):  # fmt: skip
        assert field in btc
    assert (btc["altname"], btc["base"], btc["quote"], btc["tick_size"]) == (
        "XBTUSD", "XXBT", "ZUSD", "0.1",
    )  # fmt: skip
    assert btc["fees"][0] == [0, 0.4] and btc["fees_maker"][-1] == [10000000, 0.0]
    for name, key in (("XBTUSD", "XXBTZUSD"), ("XXBTZUSD", "XXBTZUSD"), ("BTC/USD", "BTC/USD"),
                      ("DOGE/USD", "DOGE/USD"), ("ETHXBT", "XETHXXBT")):  # fmt: skip
        res = (await client.public("AssetPairs", pair=name))["result"]
        assert list(res) == [key]
    fees = (await client.public("AssetPairs", pair="XBTUSD", info="fees"))["result"]["XXBTZUSD"]
    assert set(fees) == {"fees", "fees_maker", "fee_volume_currency"}


async def test_unknown_pair(client: Client) -> None:
    for method in ("Ticker", "Depth", "OHLC", "Trades", "Spread", "AssetPairs"):
        out = await client.public(method, pair="FOOBAR")
        assert out == {"error": ["EQuery:Unknown asset pair"]}, method


async def test_unknown_method(client: Client) -> None:
    assert (await client.public("Nope")) == {"error": ["EGeneral:Unknown method"]}


async def test_ticker_and_depth_consistent(client: Client) -> None:
    tick = (await client.public("Ticker", pair="XBTUSD"))["result"]["XXBTZUSD"]
    depth = (await client.public("Depth", pair="XBTUSD", count=5))["result"]["XXBTZUSD"]
    assert len(depth["asks"]) == 5 and len(depth["bids"]) == 5
    asks = [Decimal(a[0]) for a in depth["asks"]]
    bids = [Decimal(b[0]) for b in depth["bids"]]
    assert asks == sorted(asks) and bids == sorted(bids, reverse=True)
    assert bids[0] < Decimal(tick["c"][0]) < asks[0]
    assert Decimal(tick["a"][0]) == asks[0] and Decimal(tick["b"][0]) == bids[0]
    assert isinstance(tick["t"][1], int) and Decimal(tick["l"][1]) <= Decimal(tick["h"][1])


async def test_ohlc_720_rows_plus_forming_and_since(client: Client) -> None:
    res = (await client.public("OHLC", pair="XBTUSD"))["result"]
    rows = res["XXBTZUSD"]
    assert len(rows) == 721
    assert res["last"] == rows[-2][0]
    assert all(b[0] - a[0] == 60 for a, b in itertools.pairwise(rows))
    for r in rows:
        o, h, lo, c = (Decimal(x) for x in r[1:5])
        assert lo <= min(o, c) <= max(o, c) <= h
    later = (await client.public("OHLC", pair="XBTUSD", since=rows[-5][0]))["result"]["XXBTZUSD"]
    assert [r[0] for r in later] == [r[0] for r in rows[-4:]]
    hourly = (await client.public("OHLC", pair="XBTUSD", interval=60))["result"]["XXBTZUSD"]
    assert all(r[0] % 3600 == 0 for r in hourly)
    assert (await client.public("OHLC", pair="XBTUSD", interval=7)) == {
        "error": ["EGeneral:Invalid arguments:interval"]
    }


async def test_trades_since_last(client: Client, exchange: PaperExchange) -> None:
    res = (await client.public("Trades", pair="XBTUSD"))["result"]
    assert res["XXBTZUSD"] and isinstance(res["last"], str)
    row = res["XXBTZUSD"][-1]
    assert row[3] in ("b", "s") and row[4] in ("m", "l") and isinstance(row[6], int)
    exchange.clock.advance(1)  # type: ignore[attr-defined]
    exchange.drive("XBTUSD", "30100.0", qty="0.3")
    newer = (await client.public("Trades", pair="XBTUSD", since=res["last"]))["result"]
    assert [(r[0], r[1]) for r in newer["XXBTZUSD"]] == [("30100.00000", "0.30000000")]


async def test_spread_rows(client: Client) -> None:
    res = (await client.public("Spread", pair="ETHUSD"))["result"]
    rows = res["XETHZUSD"]
    assert rows and all(Decimal(b) < Decimal(a) for _, b, a in rows)
    assert res["last"] == rows[-1][0]


async def test_assets(client: Client) -> None:
    res = (await client.public("Assets", asset="XBT,ETH"))["result"]
    assert set(res) == {"XXBT", "XETH"}
    assert res["XXBT"]["altname"] == "XBT" and res["XXBT"]["decimals"] == 10
