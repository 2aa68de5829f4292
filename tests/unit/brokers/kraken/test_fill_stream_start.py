"""Start-of-stream fill baseline, order-path AssetPairs refresh, and one fill precision per path."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from src.brokers.kraken.rest.parse import fill_at_precision, parse_fill
from src.brokers.kraken.streams.fill_polling import PollingFillSource
from src.brokers.kraken.symbols import SymbolMap
from src.brokers.kraken.ws.reports import fill_from_report
from src.brokers.kraken_adapter import KrakenAdapter
from src.core.clock import ManualClock
from src.core.errors import UnknownSymbolError
from src.core.execution import Fill, Order, OrderType, Side
from tests.unit.brokers.kraken.kraken_helpers import form, load, ok

START = datetime(2023, 7, 6, 18, 0, tzinfo=UTC)


def _trade(seconds_after_start: float, price: str = "30010.00000") -> dict[str, Any]:
    trade = dict(load("http_trades_history.json")["result"]["trades"]["THVRQM-33VKH-UCI7BS"])
    trade.update(time=START.timestamp() + seconds_after_start, price=price)
    return trade


class _Stop(Exception):
    """Raised by the fake fetch once its answers are used up: ends the stream in a test."""


def _fetcher(
    adapter: KrakenAdapter, answers: list[dict[str, dict[str, Any]]]
) -> tuple[Callable[[datetime | None], Awaitable[list[Fill]]], list[datetime | None]]:
    """A ``fetch(since)`` serving ``answers`` in turn, parsed for real; then ``_Stop``."""
    asked: list[datetime | None] = []

    async def fetch(since: datetime | None) -> list[Fill]:
        if len(asked) == len(answers):
            raise _Stop
        asked.append(since)
        symbols = await adapter.load_symbols()
        fills = [parse_fill(tid, raw, symbols) for tid, raw in answers[len(asked) - 1].items()]
        return sorted(fills, key=lambda f: f.timestamp)

    return fetch, asked


async def _collect(fills: AsyncIterator[Fill], out: list[str]) -> None:
    async for fill in fills:
        out.append(fill.fill_id)


async def _drain(fills: AsyncIterator[Fill]) -> list[str]:
    out: list[str] = []
    with pytest.raises(_Stop):
        await _collect(fills, out)
    return out


async def test_polling_yields_only_fills_made_after_start_each_once(
    adapter: KrakenAdapter,
) -> None:
    clock = ManualClock(wall_start=START)
    before, during = _trade(-30), _trade(0.4)  # `during`: made while the first poll ran
    late = _trade(-2)  # not visible at start (shown late, stamped earlier): unknown then
    ancient = _trade(-3600)  # older than the first poll reached: ignored
    answers = [
        {"TBEFORE": before, "TDURING": during},
        {"TBEFORE": before, "TDURING": during},
        {"TBEFORE": before, "TDURING": during, "TLATE": late, "TOLD": ancient},
        {"TBEFORE": before, "TDURING": during, "TLATE": late, "TAFTER": _trade(20)},
        {"TBEFORE": before, "TDURING": during, "TLATE": late, "TAFTER": _trade(20)},
    ]
    fetch, asked = _fetcher(adapter, answers)
    source = PollingFillSource(fetch, clock, interval=1.0, overlap=60.0)
    assert await _drain(source.fills()) == ["TDURING", "TLATE", "TAFTER"]
    assert asked[0] == START - timedelta(seconds=60)  # the baseline reaches back one overlap


async def test_polling_with_nothing_new_yields_nothing(adapter: KrakenAdapter) -> None:
    clock = ManualClock(wall_start=START)
    fetch, asked = _fetcher(adapter, [{"TBEFORE": _trade(-1), "TOLDER": _trade(-59)}] * 4)
    source = PollingFillSource(fetch, clock, interval=1.0)
    assert await _drain(source.fills()) == []
    assert len(asked) == 4 and clock.monotonic() >= 3.0


def _pairs_without(key: str) -> dict[str, Any]:
    body = copy.deepcopy(load("http_asset_pairs.json"))
    del body["result"][key]
    return dict(body)


async def test_order_for_a_pair_listed_after_the_first_load_refreshes_once(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    pairs = kraken.get("/0/public/AssetPairs").mock(
        side_effect=[
            httpx.Response(200, json=_pairs_without("SOLUSD")),
            httpx.Response(200, json=load("http_asset_pairs.json")),
        ]
    )
    add = kraken.post("/0/private/AddOrder").mock(
        return_value=httpx.Response(200, json=load("http_add_order.json"))
    )
    await adapter.load_symbols()  # the cached map predates the SOL/USD listing
    order = Order(symbol="SOL/USD", side=Side.BUY, quantity=Decimal("1.5"),
                  order_type=OrderType.LIMIT, limit_price=Decimal("20.123"))  # fmt: skip
    [ack] = await adapter.submit_orders([order])
    assert ack.order_id is not None
    assert pairs.call_count == 2 and add.call_count == 1
    assert form(add.calls.last.request)["pair"] == "SOLUSD"


async def test_a_still_unknown_symbol_is_refused_with_suggestions_before_sending(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    pairs = kraken.get("/0/public/AssetPairs").mock(
        return_value=httpx.Response(200, json=load("http_asset_pairs.json"))
    )
    add = kraken.post("/0/private/AddOrder").mock(return_value=ok({"txid": ["X"]}))
    good = Order(symbol="BTC/USD", side=Side.BUY, quantity=Decimal("0.001"))
    bad = Order(symbol="SOL/USDD", side=Side.BUY, quantity=Decimal("1"))
    with pytest.raises(UnknownSymbolError) as caught:
        await adapter.submit_orders([good, bad])
    assert "SOL/USD" in caught.value.suggestions
    assert pairs.call_count == 2  # the first load, then one refresh for the miss
    assert add.call_count == 0  # nothing sent: every order is resolved first


async def test_the_same_fill_prints_the_same_over_websocket_and_rest() -> None:
    symbols = SymbolMap(load("http_asset_pairs.json")["result"])
    rest_raw = {**_trade(0), "price": "40000.000", "vol": "0.50000000", "fee": "52.000"}
    rest = parse_fill("TSAME", rest_raw, symbols, None)
    report = {"exec_type": "trade", "exec_id": "TSAME", "order_id": rest_raw["ordertxid"],
              "symbol": "BTC/USD", "side": rest_raw["type"], "last_qty": Decimal("0.5"),
              "last_price": Decimal("40000.0"), "liquidity_ind": "t",
              "fees": [{"asset": "USD", "qty": Decimal("52")}],
              "timestamp": "2023-07-06T18:00:00.000000Z"}  # fmt: skip
    ws = fill_at_precision(fill_from_report(report, {}), symbols.resolve("BTC/USD"))
    for field in ("price", "quantity", "fee"):
        assert str(getattr(ws, field)) == str(getattr(rest, field)), field
    printed = (str(rest.price), str(rest.quantity), str(rest.fee))
    assert printed == ("40000.0", "0.50000000", "52.00000")


async def test_precision_never_rounds_a_digit_away() -> None:
    symbols = SymbolMap(load("http_asset_pairs.json")["result"])
    raw = {**_trade(0), "price": "40000.05", "vol": "0.123456789", "fee": "0.0000001"}
    fill = parse_fill("TODD", raw, symbols, None)
    assert (fill.price, fill.quantity, fill.fee) == (
        Decimal("40000.05"), Decimal("0.123456789"), Decimal("0.0000001")
    )  # fmt: skip
