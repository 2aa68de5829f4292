"""Every order status Alpaca documents maps onto OrderStatus; an unknown one fails nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
import respx
import structlog

from src.brokers.alpaca import parse
from src.brokers.alpaca.orders import AlpacaOrderUpdate, order_update
from src.brokers.alpaca_adapter import AlpacaAdapter
from src.core.errors import MalformedResponseError
from src.core.execution import OrderStatus
from tests.unit.brokers.alpaca.payloads import load

BASE = "https://alpaca.test"
S = OrderStatus

# All 18 values of Alpaca's order status enum (its docs and alpaca-py's OrderStatus).
DOCUMENTED = {
    "new": S.OPEN,
    "partially_filled": S.PARTIALLY_FILLED,
    "filled": S.FILLED,
    "done_for_day": S.OPEN,
    "canceled": S.CANCELED,
    "expired": S.EXPIRED,
    "replaced": S.CANCELED,
    "pending_cancel": S.OPEN,
    "pending_replace": S.OPEN,
    "pending_review": S.PENDING,
    "accepted": S.PENDING,
    "pending_new": S.PENDING,
    "accepted_for_bidding": S.PENDING,
    "stopped": S.OPEN,
    "rejected": S.REJECTED,
    "suspended": S.OPEN,
    "calculated": S.OPEN,
    "held": S.PENDING,
}


def _order(status: str, **fields: object) -> dict[str, object]:
    base: dict[str, object] = load("http_order_filled_limit")
    return base | {"filled_qty": "0", "filled_avg_price": None, "status": status} | fields


def test_the_table_is_alpacas_whole_list() -> None:
    assert set(parse.ORDER_STATUS) == set(DOCUMENTED)


@pytest.mark.parametrize(("wire", "core"), DOCUMENTED.items())
def test_every_documented_status_maps(wire: str, core: OrderStatus) -> None:
    assert order_update(_order(wire)).status is core


@pytest.mark.parametrize("wire", ["pending_cancel", "done_for_day", "stopped", "calculated"])
def test_an_open_state_that_traded_is_partially_filled(wire: str) -> None:
    assert order_update(_order(wire, filled_qty="4")).status is S.PARTIALLY_FILLED


def test_calculated_with_everything_filled_is_filled() -> None:
    assert order_update(_order("calculated", filled_qty="10")).status is S.FILLED


def test_an_undocumented_status_is_unknown_and_logged_once() -> None:
    with structlog.testing.capture_logs() as logs:
        first = order_update(_order("teleported_v3"))
        order_update(_order("teleported_v3"))
    assert first.status is S.UNKNOWN and not first.status.is_final
    assert first.get("status") == "teleported_v3"  # the venue's word stays in raw
    warnings = [e for e in logs if e["event"] == "alpaca.order.unknown_status"]
    assert len(warnings) == 1 and warnings[0]["status"] == "teleported_v3"


def test_a_missing_status_is_still_malformed() -> None:
    with pytest.raises(MalformedResponseError, match="status"):
        order_update(_order("") | {"status": None})


def test_open_notional_order_reports_what_it_knows() -> None:
    payload = _order("partially_filled", qty=None, notional="600", filled_qty="0.005")
    update = order_update(payload)
    assert isinstance(update, AlpacaOrderUpdate)
    assert update.notional == Decimal("600")
    assert update.quantity == Decimal("0.005") == update.filled_quantity
    assert update.status is S.PARTIALLY_FILLED
    unfilled = order_update(_order("new", qty=None, notional="600"))
    assert unfilled.quantity == 0 and unfilled.notional == Decimal("600")
    assert unfilled.status is S.OPEN


@pytest.fixture
async def adapter() -> AsyncIterator[AlpacaAdapter]:
    async with AlpacaAdapter(api_key="PKKEY", api_secret="SECRET", base_url=BASE) as engine:
        yield engine


@respx.mock
async def test_one_unknown_status_does_not_fail_get_orders(adapter: AlpacaAdapter) -> None:
    orders = [
        _order("new", id="a", client_order_id="ca"),
        _order("brand_new_state", id="b", client_order_id="cb"),
        _order("pending_review", id="c", client_order_id="cc"),
    ]
    respx.get(f"{BASE}/v2/orders").mock(return_value=httpx.Response(200, json=orders))
    got = await adapter.get_orders("open")
    assert [(o.order_id, o.status) for o in got] == [
        ("a", S.OPEN),
        ("b", S.UNKNOWN),
        ("c", S.PENDING),
    ]
