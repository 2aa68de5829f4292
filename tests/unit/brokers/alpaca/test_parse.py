"""Alpaca JSON -> core types, on stored payloads; bad shapes raise MalformedResponseError."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from src.brokers.alpaca import parse
from src.brokers.alpaca.orders import order_update
from src.core.errors import MalformedResponseError
from src.core.execution import OrderStatus, OrderType, Side
from src.core.instruments import InstrumentStatus
from tests.unit.brokers.alpaca.payloads import load


def test_order_payload_to_order_update() -> None:
    update = order_update(load("http_order_filled_limit"))
    assert update.order_id == "596b186f-69b7-423d-afd5-1fe50a3e3182"
    assert update.status is OrderStatus.FILLED
    assert update.order_type is OrderType.LIMIT
    assert update.quantity == Decimal("10") and update.filled_quantity == Decimal("10")
    assert update.average_price == Decimal("361.92")
    assert update.created_at == datetime(2022, 10, 14, 15, 28, 33, 474853, tzinfo=UTC)
    assert update.get("time_in_force") == "day"  # raw payload stays reachable
    assert update.get("descr", {}).get("order", "N/A") == "N/A"  # the guide's Kraken idiom


@pytest.mark.parametrize(
    ("wire", "core"),
    [
        ("new", OrderStatus.OPEN),
        ("accepted", OrderStatus.PENDING),
        ("partially_filled", OrderStatus.PARTIALLY_FILLED),
        ("replaced", OrderStatus.CANCELED),
        ("done_for_day", OrderStatus.OPEN),
        ("expired", OrderStatus.EXPIRED),
    ],
)
def test_every_documented_status_maps(wire: str, core: OrderStatus) -> None:
    assert order_update(load("http_order_filled_limit") | {"status": wire}).status is core


def test_missing_field_is_malformed() -> None:
    # An undocumented status is not malformed: see test_statuses.py.
    payload = load("http_order_filled_limit")
    del payload["id"]
    with pytest.raises(MalformedResponseError, match="'id'"):
        order_update(payload)
    with pytest.raises(MalformedResponseError, match="filled_avg_price"):
        order_update(load("http_order_filled_limit") | {"filled_avg_price": "abc"})


def test_positions_and_crypto_symbol_normalization() -> None:
    equity = parse.position(load("http_position_equity"))
    crypto = parse.position(load("http_position_crypto"))
    assert (equity.symbol, equity.quantity, equity.average_price) == (
        "SPY",
        Decimal("2"),
        Decimal("412.91"),
    )
    assert equity.unrealized_pnl == Decimal("-102.72")
    assert crypto.symbol == "BTC/USD" and crypto.quantity == Decimal("0.0298")
    short = parse.position(load("http_position_equity") | {"side": "short"})
    assert short.quantity == Decimal("-2") and short.side is Side.SELL


def test_account_balances_include_cash_and_holdings() -> None:
    positions = [
        parse.position(load("http_position_equity")),
        parse.position(load("http_position_crypto")),
    ]
    balances = parse.account_balances(load("http_account"), positions)
    assert balances["USD"] == Decimal("-23140.2")  # margin account: cash can be negative
    assert balances["SPY"] == Decimal("2") and balances["BTC"] == Decimal("0.0298")
    cash_account = load("http_account") | {"cash": "1000", "non_marginable_buying_power": "750"}
    assert parse.account_balances(cash_account, []).available("USD") == Decimal("750")


def test_crypto_instrument_uses_asset_increments() -> None:
    btc = parse.instrument(load("http_asset_crypto"))
    assert (btc.base, btc.quote) == ("BTC", "USD")
    assert btc.price_tick == Decimal("1")
    assert btc.lot_step == Decimal("0.000000001")
    assert btc.min_quantity == Decimal("0.000025")
    halted = parse.instrument(load("http_asset_crypto") | {"tradable": False})
    assert halted.status is InstrumentStatus.CANCEL_ONLY


def test_fill_from_activity_and_trade_update() -> None:
    activity = parse.fill_from_activity(load("http_activity_fill"))
    assert activity.fill_id == "2d7be4ff-d1f9-4cb4-a7fa-16c2f1d2a5e0"
    assert (activity.quantity, activity.price, activity.side) == (
        Decimal("2"),
        Decimal("174.78"),
        Side.BUY,
    )
    update = parse.fill_from_trade_update(load("ws_trade_update_partial_fill")["data"])
    assert update.fill_id == "7922ab44-a8d3-4fde-8dd8-9aa1f7a3b1e5"
    assert update.client_order_id == "eb9e2aaa-f71a-4f51-b5b4-52a6c565dad4"
    assert update.quantity == Decimal("5") and update.price == Decimal("179.08")
    assert update.timestamp == datetime(2023, 3, 14, 17, 33, 20, 613279, tzinfo=UTC)


def test_bad_timestamp_is_malformed() -> None:
    with pytest.raises(MalformedResponseError, match="timestamp"):
        parse.timestamp("yesterday", "created_at")
