"""Executions reports: what is malformed is named, refused whole, and opens a gap (no sockets).

The property that matters for ``stream_fills()``: a trade report, however it is mangled, is
either delivered as a fill or opens a gap in the stream (which reconciles over REST). It is
never dropped silently.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from src.brokers.kraken.ws.frames import dump_json
from src.brokers.kraken.ws.private import KrakenPrivateStream
from src.brokers.kraken.ws.reports import fill_from_report, report_problem
from src.core.execution import Fill, Liquidity, Side, utc_now
from tests.support.ws_fault_proxy import MALFORMED_KINDS, malform


def _trade() -> dict[str, Any]:
    """A trade event in the shape of Kraken's executions docs (numbers as the decoder gives)."""
    return {
        "order_id": "OK4GJX-KSTLS-7DZZO5", "exec_id": "TQ3HNR-5ZQ6A-DCE4MX",
        "exec_type": "trade", "trade_id": 1, "symbol": "BTC/USD", "side": "sell",
        "last_qty": Decimal("0.005"), "last_price": Decimal("26599.9"), "liquidity_ind": "t",
        "cost": Decimal("132.9995"), "order_userref": 3, "order_status": "partially_filled",
        "order_type": "limit", "timestamp": "2023-09-22T10:33:05.709993Z",
        "fee_usd_equiv": Decimal("0.532"), "fees": [{"asset": "USD", "qty": Decimal("0.532")}],
    }  # fmt: skip


def _pending_new() -> dict[str, Any]:
    return {
        "order_id": "OK4GJX-KSTLS-7DZZO5", "order_userref": 3, "symbol": "BTC/USD",
        "order_qty": Decimal("0.005"), "cum_cost": Decimal("0.0"), "time_in_force": "GTC",
        "exec_type": "pending_new", "side": "sell", "order_type": "limit",
        "limit_price_type": "static", "limit_price": Decimal("26500.0"),
        "stop_price": Decimal("0.0"), "order_status": "pending_new",
        "fee_usd_equiv": Decimal("0.0"), "fee_ccy_pref": "fciq",
        "timestamp": "2023-09-22T10:33:05.709950Z",
    }  # fmt: skip


def test_documented_reports_are_accepted() -> None:
    minimal_new = {"order_id": "OK4GJX-KSTLS-7DZZO5", "exec_type": "new",
                   "order_status": "new", "timestamp": "2023-09-22T10:33:05.710000Z"}  # fmt: skip
    filled = {**minimal_new, "exec_type": "filled", "order_status": "filled"}
    for report in (_pending_new(), minimal_new, _trade(), filled):
        assert report_problem(report) is None, report
    assert report_problem({**_pending_new(), "some_new_kraken_field": [1, {"x": None}]}) is None


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"order_id": None}, "order_id"),
        ({"order_id": 5}, "order_id"),
        ({"exec_type": "teleported"}, "exec_type: unknown value 'teleported'"),
        ({"order_status": "maybe"}, "order_status"),
        ({"side": "up"}, "side"),
        ({"symbol": ["BTC/USD"]}, "symbol: expected text"),
        ({"cum_qty": "lots"}, "cum_qty: expected a number"),
        ({"order_qty": Decimal("-1")}, "order_qty: must be non-negative"),
        ({"cost": float("nan")}, "cost: not a finite number"),
        ({"last_qty": Decimal(0)}, "last_qty: must be positive"),
        ({"last_price": True}, "last_price: expected a number"),
        ({"exec_id": 7}, "exec_id"),
        ({"timestamp": "yesterday"}, "timestamp: expected RFC3339"),
        ({"fees": {"asset": "USD"}}, "fees: expected a list"),
        ({"fees": [{"qty": 1}]}, "fees: expected objects with an asset"),
    ],
)
def test_each_malformation_is_named(change: dict[str, Any], named: str) -> None:
    problem = report_problem({**_trade(), **change})
    assert problem is not None and named in problem


def test_a_trade_without_its_fill_fields_is_malformed() -> None:
    report = _trade()
    del report["last_qty"]
    assert report_problem(report) == "last_qty: missing on a trade"


def test_a_checked_trade_reads_as_the_fill_it_reports() -> None:
    fill = fill_from_report(_trade(), {})
    assert (fill.fill_id, fill.quantity, fill.price) == (
        "TQ3HNR-5ZQ6A-DCE4MX", Decimal("0.005"), Decimal("26599.9"),
    )  # fmt: skip
    assert fill.side is Side.SELL and fill.liquidity is Liquidity.TAKER
    assert fill.fee == Decimal("0.532") and fill.timestamp.tzinfo is not None


def _stream(**options: Any) -> KrakenPrivateStream:
    async def token() -> str:
        return "unused"  # never connected: frames are fed to the reader directly

    return KrakenPrivateStream("ws://127.0.0.1:9/ws-auth/v2", token, **options)


def _frame(*reports: Any, kind: str = "update") -> str:
    return dump_json({"channel": "executions", "type": kind, "data": list(reports),
                      "sequence": 3})  # fmt: skip


def _delivered(stream: KrakenPrivateStream, exec_id: str) -> bool:
    """True if the stream already published this fill (publish_fill refuses a repeat)."""
    probe = Fill(fill_id=exec_id, order_id="O", client_order_id=None, symbol="BTC/USD",
                 side=Side.BUY, quantity=Decimal(1), price=Decimal(1), fee=Decimal(0),
                 fee_currency="USD", liquidity=Liquidity.UNKNOWN, timestamp=utc_now())  # fmt: skip
    return not stream.publish_fill(probe)


@pytest.mark.parametrize("kind", MALFORMED_KINDS)
def test_every_malformed_frame_kind_opens_a_gap_and_merges_nothing(kind: str) -> None:
    stream = _stream()
    text = malform(_frame(_trade()), kind)
    stream.connection._dispatch(text)  # the reader's entry point: decode, then route
    assert stream.gaps.gaps == 1, kind
    assert stream.order("OK4GJX-KSTLS-7DZZO5") in (None, {})  # nothing half-merged
    assert not _delivered(stream, "TQ3HNR-5ZQ6A-DCE4MX")


def test_good_frames_open_no_gap() -> None:
    stream = _stream()
    stream.connection._dispatch(_frame(_pending_new(), kind="snapshot"))
    stream.connection._dispatch(_frame(_trade()))
    stream.connection._dispatch(json.dumps({"channel": "heartbeat"}))
    assert stream.gaps.gaps == 0 and stream.connection.malformed_frames == 0
    assert _delivered(stream, "TQ3HNR-5ZQ6A-DCE4MX")
    state = stream.order("OK4GJX-KSTLS-7DZZO5")
    assert state is not None and state["order_status"] == "partially_filled"


def test_a_bad_report_beside_good_ones_is_the_only_one_refused() -> None:
    stream = _stream()
    other = {**_trade(), "order_id": "OTHER-ORDER-ID", "exec_id": "T-OTHER", "cum_qty": "x"}
    stream.connection._dispatch(_frame(_trade(), other))
    assert stream.gaps.gaps == 1
    assert _delivered(stream, "TQ3HNR-5ZQ6A-DCE4MX") and not _delivered(stream, "T-OTHER")
    assert stream.order("OTHER-ORDER-ID") is None


junk = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=6),
    st.floats(allow_nan=True, allow_infinity=True), st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["asset", "qty"]), st.integers(), max_size=2),
)  # fmt: skip
fields = st.sampled_from([*sorted(_trade()), "post_only", "avg_price", "cum_qty"])


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(fields, junk, max_size=3), st.lists(fields, max_size=2))
def test_a_mangled_trade_is_delivered_or_opens_a_gap_never_lost(
    changes: dict[str, Any], removed: list[str]
) -> None:
    report = {**_trade(), **changes}
    for name in removed:
        report.pop(name, None)
    stream = _stream()
    fills: list[Fill] = []

    def publish(fill: Fill) -> bool:
        fills.append(fill)
        return True

    stream.publish_fill = publish  # type: ignore[method-assign]
    stream.connection._dispatch(_frame(report))
    assert (len(fills) == 1) != (stream.gaps.gaps == 1), (report, stream.gaps.last_reason)
    for fill in fills:  # what is delivered is a sane fill
        assert fill.quantity > 0 and fill.price > 0
        assert fill.symbol == report["symbol"] and fill.fill_id == report["exec_id"]
