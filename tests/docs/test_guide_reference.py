"""The guide's fragments (key features, API reference, symbols), run inside an adapter session."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from decimal import Decimal
from typing import Any

import pytest

from src.brokers.kraken_adapter import KrakenAdapter
from src.core.errors import PermissionDeniedError, UnknownOrderError, UnknownSymbolError
from src.core.execution import OrderStatus
from src.venues.kraken_paper import PaperExchange
from tests.docs.conftest import (
    BTC_PRICE,
    assert_btc_order_resting,
    btc_order,
    guide_names,
    only_open_order,
    open_orders,
)
from tests.docs.guide_blocks import Printed, block, run_fragment
from tests.support.waiting import eventually

pytestmark = pytest.mark.timeout(30)

# Kraken's documented signing example (docs "Spot REST Authentication").
DOC_SECRET = (
    "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="
)
DOC_NONCE = "1616492376594"
DOC_BODY = "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25"
DOC_SIGN = (
    "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ=="
)


def _independent_sign(secret: str, path: str, nonce: str, body: str) -> str:
    digest = hashlib.sha256((nonce + body).encode()).digest()
    mac = hmac.new(base64.b64decode(secret), path.encode() + digest, hashlib.sha512)
    return base64.b64encode(mac.digest()).decode()


async def test_signature_matches_kraken_and_an_independent_hmac() -> None:
    async with KrakenAdapter("key", DOC_SECRET, base_url="http://127.0.0.1:9") as adapter:
        fields = dict(item.split("=") for item in DOC_BODY.split("&"))
        for data in (DOC_BODY, fields):
            ns = guide_names(adapter, url_path="/0/private/AddOrder", data=data, nonce=DOC_NONCE)
            await run_fragment(block("kf-signature"), ns)
            assert ns["signature"] == DOC_SIGN
        other = _independent_sign(DOC_SECRET, "/0/private/Balance", "17", "nonce=17")
        ns.update(url_path="/0/private/Balance", data="nonce=17", nonce=17)
        await run_fragment(block("kf-signature"), ns)
        assert ns["signature"] == other != DOC_SIGN


async def test_symbol_conversion_sketch_is_not_python_but_its_runnable_version_is(
    adapter: KrakenAdapter, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not block("kf-symbols").compiles()

    ns = await run_fragment(block("kf-symbols-runnable"), guide_names(adapter))

    assert capsys.readouterr().out == "XXBTZUSD\n"
    assert ns["instrument"].symbol == "BTC/USD" and ns["instrument"].price_tick == Decimal("0.1")


async def test_adaptive_limiter_block_admits_the_order(
    guide_env: PaperExchange, adapter: KrakenAdapter
) -> None:
    order = btc_order()
    ns = await run_fragment(block("kf-rate-limit"), guide_names(adapter, order=order))

    assert_btc_order_resting(guide_env, order.client_order_id)
    limiter = ns["limiter"]
    for _ in range(13):  # the block's call took one of the 15 slots of this second
        await limiter.acquire()
    assert limiter.wait_time() == 0
    await limiter.acquire()
    assert limiter.wait_time() > 0


class _Log:
    def __init__(self) -> None:
        self.errors: list[tuple[str, dict[str, Any]]] = []

    def error(self, event: str, **fields: Any) -> None:
        self.errors.append((event, fields))


async def test_error_handling_block_logs_a_refusal(guide_env: PaperExchange) -> None:
    key, secret = guide_env.create_api_key(permissions={"query_open_orders"})
    async with KrakenAdapter(api_key=key, api_secret=secret) as restricted:
        log = _Log()
        await run_fragment(block("kf-errors"), guide_names(restricted, log=log))
    assert len(log.errors) == 1
    event, fields = log.errors[0]
    assert event == "kraken.error" and "EGeneral:Permission denied" in fields["error"]
    async with KrakenAdapter(api_key=key, api_secret=secret) as again:
        with pytest.raises(PermissionDeniedError):
            await again.get_account()


async def test_error_handling_block_is_quiet_when_the_call_works(adapter: KrakenAdapter) -> None:
    log = _Log()
    ns = await run_fragment(block("kf-errors"), guide_names(adapter, log=log))
    assert log.errors == [] and ns["balances"]["BTC"] == Decimal("0.5")


async def test_public_endpoint_blocks(adapter: KrakenAdapter) -> None:
    ns = await run_fragment(block("ref-server-time"), guide_names(adapter))
    assert isinstance(ns["timestamp"], int) and abs(ns["timestamp"] - time.time()) < 5

    await run_fragment(block("ref-ticker"), ns)
    pair = ns["ticker"]["XXBTZUSD"]
    assert {"a", "b", "c"} <= set(pair)
    assert Decimal(pair["b"][0]) < Decimal(pair["a"][0]) and Decimal(pair["c"][0]) == BTC_PRICE


async def test_balance_blocks(adapter: KrakenAdapter) -> None:
    ns = await run_fragment(block("ref-account"), guide_names(adapter))
    balances = ns["balances"]
    assert balances["ZUSD"] == balances["USD"] == Decimal("10000")
    assert balances["XXBT"] == Decimal("0.5") and isinstance(balances["XXBT"], Decimal)

    await run_fragment(block("ref-trade-balance"), ns)
    tb = ns["trade_balance"]
    equity = Decimal(tb["eb"])
    assert equity > Decimal("10000") + Decimal("0.5") * BTC_PRICE  # USD + BTC + the rest
    assert Decimal(tb["mf"]) == equity - Decimal(tb["m"])

    await run_fragment(block("ref-positions"), ns)
    assert ns["positions"] == []  # spot account


async def test_order_blocks_submit_list_and_cancel(
    guide_env: PaperExchange, adapter: KrakenAdapter
) -> None:
    ns = await run_fragment(block("ref-submit"), guide_names(adapter))
    placed = only_open_order(guide_env)
    assert placed["descr"]["order"] == "buy 0.50000000 ETHUSD @ limit 2500.00"
    assert (placed["vol"], placed["descr"]["price"]) == ("0.50000000", "2500.00")
    assert placed["cl_ord_id"] == ns["order"].client_order_id

    await adapter.cancel_order(client_order_id=ns["order"].client_order_id)
    await adapter.submit_orders([btc_order()])
    await run_fragment(block("ref-orders"), ns)
    (still_open,) = ns["open_orders"]
    assert still_open.get("descr", {}).get("order") == "buy 0.00100000 XBTUSD @ limit 40000.0"
    (closed,) = ns["closed_orders"]
    assert closed.client_order_id == ns["order"].client_order_id
    assert closed.status == OrderStatus.CANCELED

    with pytest.raises(UnknownOrderError) as refused:
        await run_fragment(block("ref-cancel"), ns)
    assert "EOrder:Unknown order" in str(refused.value)
    assert len(open_orders(guide_env)) == 1  # nothing else was cancelled


@pytest.mark.parametrize("websocket", [True, False], ids=["websocket", "polling"])
async def test_stream_fills_block_prints_the_fill(
    guide_env: PaperExchange, websocket: bool
) -> None:
    permissions = {"query_funds", "query_open_orders", "query_closed_orders", "create_orders"}
    key, secret = guide_env.create_api_key(
        permissions=permissions | ({"websocket"} if websocket else set())
    )
    async with KrakenAdapter(api_key=key, api_secret=secret) as adapter:
        adapter.fill_poll_interval = 0.05
        await adapter.submit_orders([btc_order()])
        printed = Printed()
        polls: list[object] = []
        get_fills = adapter.get_fills

        async def spied(since: Any = None) -> Any:
            result = await get_fills(since)
            polls.append(since)
            return result

        adapter.get_fills = spied  # type: ignore[method-assign]
        stream = asyncio.create_task(
            run_fragment(block("ref-stream-fills"), guide_names(adapter, print=printed))
        )
        try:
            # stream_fills() yields fills made after it started: drive once it is live
            if websocket:
                await eventually(lambda: adapter.order_manager is not None, "the private socket")
            else:
                await eventually(lambda: bool(polls), "a REST poll")
            guide_env.drive("BTC/USD", "39900", qty="1")  # trades through the $40,000 bid
            await asyncio.wait_for(printed.event.wait(), 10)
        finally:
            stream.cancel()
            await asyncio.gather(stream, return_exceptions=True)
    (line,) = printed.lines
    prefix, price = line.split(" @ $")
    assert prefix == "Fill: BTC/USD" and Decimal(price) == Decimal("40000")  # the maker price
    assert open_orders(guide_env) == {}


async def test_asset_pairs_block_lists_every_pair_key(
    adapter: KrakenAdapter, capsys: pytest.CaptureFixture[str]
) -> None:
    await run_fragment(block("sym-asset-pairs"), guide_names(adapter))
    listed = capsys.readouterr().out.split()
    assert sorted(listed) == sorted(await adapter.get_asset_pairs())  # every pair the venue has
    assert len(listed) == 683 and {"XXBTZUSD", "XETHXXBT", "DOTEUR", "XXBTZEUR"} <= set(listed)


async def test_old_conversion_map_agrees_with_asset_pairs(adapter: KrakenAdapter) -> None:
    ns = await run_fragment(block("sym-conversion-map"), {})
    conversions = ns["conversions"]
    for standard, kraken in conversions.items():
        if standard == "YOUR/PAIR":
            with pytest.raises(UnknownSymbolError):
                await adapter.get_instrument(standard)
        else:
            assert (await adapter.get_instrument(standard)).venue_symbol == kraken


async def test_symbol_resolution_example(
    adapter: KrakenAdapter, capsys: pytest.CaptureFixture[str]
) -> None:
    await run_fragment(block("sym-resolve"), guide_names(adapter))
    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == [
        "BTC/USD -> XXBTZUSD",
        "XBTUSD -> XXBTZUSD",
        "DOGE/USD -> XDGUSD",
        "XDG/USD -> XDGUSD",
    ]
    assert "BTC/USD" in lines[4]


async def test_minimums_example_reads_asset_pairs(
    adapter: KrakenAdapter, capsys: pytest.CaptureFixture[str]
) -> None:
    await run_fragment(block("minimums"), guide_names(adapter))
    shown = [Decimal(x) for x in capsys.readouterr().out.split()]
    pair = (await adapter.get_asset_pairs())["XXBTZUSD"]
    assert shown == [
        Decimal(pair["ordermin"]),
        Decimal(pair["costmin"]),
        Decimal(pair["tick_size"]),
        Decimal(1).scaleb(-int(pair["lot_decimals"])),
    ]


async def test_fees_example_shows_the_entry_tier(
    adapter: KrakenAdapter, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = await run_fragment(block("fees"), guide_names(adapter))

    assert capsys.readouterr().out == "30-day volume $0.0000: maker 0.2500 %, taker 0.4000 %\n"
    schedule = (await adapter.get_asset_pairs())["XXBTZUSD"]
    assert [Decimal(ns["maker"]), Decimal(ns["taker"])] == [
        Decimal(str(schedule["fees_maker"][0][1])),
        Decimal(str(schedule["fees"][0][1])),
    ]
