"""Random junk parameters never raise anything but a Kraken error from the service layer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from src.core.clock import ManualClock
from src.venues.kraken_paper import KrakenError, PaperExchange

KEYS = ["pair", "type", "ordertype", "volume", "price", "price2", "userref", "cl_ord_id",
        "oflags", "timeinforce", "expiretm", "validate", "txid", "order_qty", "limit_price",
        "trigger_price", "post_only", "orders", "timeout", "trades", "ofs", "start", "end",
        "asset", "id", "cl_ord_ids"]  # fmt: skip
VALUES = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["XBTUSD", "BTC/USD", "buy", "sell", "limit", "market", "stop-loss",
                     "take-profit-limit", "0.01", "29000.0", "-1", "1e9", "NaN", "post",
                     "GTD", "+10", "true", "True", "42", "1e-30"]),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
    st.lists(st.one_of(st.text(max_size=5), st.dictionaries(st.sampled_from(KEYS),
                                                            st.text(max_size=8))), max_size=3),
)  # fmt: skip
METHODS = ["add_order", "add_order_batch", "amend_order", "edit_order", "cancel_order",
           "cancel_order_batch", "cancel_all_orders_after", "Balance", "BalanceEx",
           "TradeBalance", "OpenOrders", "ClosedOrders", "QueryOrders", "TradesHistory",
           "QueryTrades", "Ledgers", "QueryLedgers", "TradeVolume"]  # fmt: skip


CALLS = st.tuples(st.sampled_from(METHODS), st.dictionaries(st.sampled_from(KEYS), VALUES))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(CALLS, min_size=1, max_size=8))
def test_service_only_raises_kraken_errors(calls: list[tuple[str, dict[str, Any]]]) -> None:
    clock = ManualClock(start=0.0, wall_start=datetime(2025, 1, 1, tzinfo=UTC))
    # The service layer needs no server: build the exchange without starting it.
    ex = PaperExchange(market="synthetic", auto_tick=False, clock=clock, rate_limits=False)
    ex.drive("XBTUSD", "30000.0")
    errors: list[str] = []
    for method, params in calls:
        fn = getattr(ex.service, method, None)
        try:
            if fn is not None:
                result = fn("demo", params)
            else:
                result = ex.service.query(method, "demo", params)
        except KrakenError as exc:
            errors.append(exc.message)
        else:
            assert isinstance(result, dict)
    assert all(e[0] in "EW" and ":" in e for e in errors)
