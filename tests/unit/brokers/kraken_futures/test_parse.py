"""Kraken's documented REST payloads become the right domain objects, every number exact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from src.brokers.kraken_futures.orders.fees import FeeBook
from src.brokers.kraken_futures.orders.wire import (
    ack_from_send_status,
    update_from_event_order,
    update_from_open_order,
    update_from_status_row,
)
from src.brokers.kraken_futures.rest import parse
from src.brokers.kraken_futures.rest.positions import position_from_row
from src.brokers.kraken_futures.symbols import InstrumentMap
from src.brokers.kraken_futures.timefmt import format_time, from_ms, parse_time
from src.core.derivatives import ContractType, Settlement, TierBasis
from src.core.errors import MalformedResponseError, UnknownSymbolError
from src.core.execution import Liquidity, OrderStatus, OrderType, Side
from src.core.instruments import InstrumentStatus
from tests.unit.brokers.kraken_futures.conftest import load

NOW = datetime(2024, 1, 1, tzinfo=UTC)


def _instruments() -> InstrumentMap:
    rows = load("http_instruments")["instruments"] + load("http_instruments_pf")["instruments"]
    return InstrumentMap.from_reply(rows)


def test_instruments_perpetual_inverse_fixed_and_linear() -> None:
    instruments = _instruments()
    pi = instruments.get("pi_xbtusd")
    assert pi.settlement is Settlement.INVERSE and pi.contract_type is ContractType.PERPETUAL
    assert (pi.base, pi.quote, pi.settlement_currency) == ("BTC", "USD", "BTC")
    assert pi.price_tick == Decimal("0.5") and pi.lot_step == Decimal(1)
    assert pi.tier_basis is TierBasis.CONTRACTS and pi.margin_tiers[1].floor == 500000
    assert pi.funding_interval == timedelta(hours=1) and pi.max_funding_rate == Decimal("0.001")
    fi = instruments.get("FI_XBTUSD_220930")
    assert fi.contract_type is ContractType.FIXED_MATURITY and fi.funding_interval is None
    assert fi.expiry == datetime(2022, 9, 30, 15, tzinfo=UTC)
    eth = instruments.get("PF_ETHUSD")
    assert eth.settlement is Settlement.LINEAR and eth.settlement_currency == "USD"
    assert eth.lot_step == Decimal("0.001") and eth.price_tick == Decimal("0.1")
    assert eth.tier_basis is TierBasis.NOTIONAL
    assert [t.initial_rate for t in eth.margin_tiers] == [Decimal("0.02"), Decimal("0.04")]
    assert eth.max_position == Decimal(16000)
    assert instruments.get("PF_PEPEUSD").lot_step == Decimal(1000)  # precision -3
    assert "OF_ETHUSD_240101_1000_C" not in instruments  # options are not futures here


def test_unknown_symbol_suggests_close_matches() -> None:
    with pytest.raises(UnknownSymbolError) as caught:
        _instruments().get("PF_ETHUS")
    assert "PF_ETHUSD" in caught.value.suggestions


def test_untradeable_instrument_is_cancel_only() -> None:
    row = {**load("http_instruments_pf")["instruments"][0], "tradeable": False}
    instrument = InstrumentMap.from_reply([row]).get("PF_ETHUSD")
    assert instrument.status is InstrumentStatus.CANCEL_ONLY


def test_tickers_with_mark_index_funding_and_open_interest() -> None:
    rows = load("http_tickers")["tickers"]
    tickers = {t.symbol: t for t in (parse.parse_ticker(r, NOW) for r in rows)}
    pi = tickers["PI_XBTUSD"]
    assert pi.mark_price == Decimal("30209.9") and pi.index_price == Decimal("21087.8")
    assert pi.funding_rate == Decimal("1.18588737106e-07")
    assert pi.funding_rate_prediction == Decimal("1.1852486794e-07")
    assert pi.open_interest == Decimal(149655) and pi.bid == Decimal(8634)
    assert pi.timestamp == datetime(2022, 6, 17, 10, 46, 35, 705000, tzinfo=UTC)
    assert tickers["IN_XBTUSD"].last == Decimal(21088) and tickers["IN_XBTUSD"].mark_price is None
    assert pi.basis == Decimal("30209.9") / Decimal("21087.8") - 1


def test_orderbook_sorted_sides() -> None:
    book = parse.parse_orderbook(load("http_orderbook"), "PF_XBTUSD")
    assert book.bids[0] == (Decimal("105900.0"), Decimal("0.5"))
    assert book.asks[0] == (Decimal("105950.0"), Decimal("0.3"))
    assert book.valid and book.seq is None


def test_trades_oldest_first_with_string_sizes() -> None:
    trades = parse.parse_trades(load("http_history"), "PF_XBTUSD")
    assert [t.quantity for t in trades] == [Decimal(10), Decimal(1068)]
    assert trades[1].trade_id == "6c5da0b0-f1a8-483f-921f-466eb0388265"


def test_candles_with_string_prices_and_ms_times() -> None:
    [candle] = parse.parse_candles(load("http_charts_mark"), "PF_XBTUSD", 60)
    assert candle.open == Decimal("91126.5834675817") and candle.volume == 0
    assert candle.timestamp == datetime(2024, 11, 16, tzinfo=UTC)


def test_funding_rates() -> None:
    rates = parse.parse_funding_rates(load("http_historical_funding_rates"), "PI_XBTUSD")
    assert rates[0].absolute_rate == Decimal("-8.15861558e-10")
    assert rates[0].relative_rate == Decimal("-0.000016898883333333")


def test_accounts_flex_and_margin_wallet() -> None:
    balances, summaries = parse.parse_accounts(load("http_accounts"))
    assert balances["USD"] == Decimal("5000.0")
    assert balances["BTC"] == Decimal("0.1185308247") + Decimal("141.31756797")
    assert balances["XBT"] == balances["BTC"]  # Kraken's code works as an alias
    flex = summaries["flex"]
    assert flex.margin_equity == Decimal("34122.66") and flex.available_margin == Decimal(
        "34122.66"
    )
    wallet = summaries["fi_xbtusd"]
    assert wallet.currency == "BTC" and wallet.maintenance_margin == Decimal("23.76")
    assert wallet.portfolio_value == Decimal("153.73891563")


def test_open_orders() -> None:
    rows = load("http_openorders")["openOrders"]
    first = update_from_open_order(rows[0])
    assert first.side is Side.SELL and first.order_type is OrderType.LIMIT
    assert first.quantity == 304 and first.status is OrderStatus.OPEN
    assert first.raw["reduceOnly"] is True
    kinds = {update_from_open_order(r).order_type for r in rows}
    assert OrderType.LIMIT in kinds


def test_send_status_placed_executed_and_rejected() -> None:
    placed = ack_from_send_status(
        load("http_sendorder_placed")["sendStatus"], "c1", "PI_XBTUSD", Decimal(10000)
    )
    assert placed.status is OrderStatus.OPEN and (placed.order_id or "").startswith("179f9af8")
    executed = ack_from_send_status(
        load("http_sendorder_executed")["sendStatus"], "c2", "PI_XBTUSD", Decimal(10)
    )
    assert executed.status is OrderStatus.FILLED
    rejected = ack_from_send_status(
        load("http_sendorder_rejected")["sendStatus"], "c3", "PI_XBTUSD", Decimal(10000)
    )
    assert rejected.status is OrderStatus.REJECTED and "IOC_WOULD_NOT_EXECUTE" in (
        rejected.message or ""
    )
    refused = ack_from_send_status(
        {"status": "insufficientAvailableFunds"}, "c4", "PF_XBTUSD", Decimal(1)
    )
    assert refused.status is OrderStatus.REJECTED
    assert "InsufficientFundsError" in (refused.message or "")


def test_cancel_event_order_and_status_rows() -> None:
    event = load("http_cancelorder")["cancelStatus"]["orderEvents"][0]
    update = update_from_event_order(event["order"], OrderStatus.CANCELED)
    assert update.client_order_id == "1234568" and update.status is OrderStatus.CANCELED
    row = {
        "order": {
            "type": "ORDER", "orderId": "o1", "cliOrdId": "c1", "symbol": "PF_XBTUSD",
            "side": "buy", "quantity": 2, "filled": 1, "limitPrice": 100,
            "timestamp": "2024-01-01T00:00:00.000Z", "lastUpdateTimestamp": "2024-01-01T00:00:00Z",
        },
        "status": "ENTERED_BOOK",
    }  # fmt: skip
    status = update_from_status_row(row)
    assert status.status is OrderStatus.PARTIALLY_FILLED and status.filled_quantity == 1
    with pytest.raises(MalformedResponseError):
        update_from_status_row({**row, "status": "SOMETHING"})


def test_positions_valued_at_the_mark() -> None:
    rows = load("http_openpositions")["openPositions"]
    pi = _instruments().get("PI_XBTUSD")
    position = position_from_row(rows[0], pi, Decimal(10000), Decimal("0.5"))
    assert position.quantity == -10000 and position.is_short
    # inverse short: 10000 * (1/9392.749993345933 - 1/10000) BTC, negative (price rose)
    assert position.unrealized_pnl == Decimal(-10000) * (
        Decimal(1) / Decimal("9392.749993345933") - Decimal(1) / Decimal(10000)
    )
    assert position.initial_margin == Decimal(1) * Decimal("0.02")  # 10000 USD / 10000 = 1 BTC
    assert position.liquidation_price is not None and position.liquidation_price > 10000
    # 1x short of an inverse contract: equity never reaches maintenance, no liquidation price
    hedged = position_from_row(rows[0], pi, Decimal(10000), Decimal(1))
    assert hedged.liquidation_price is None
    assert position.margin_currency == "BTC"


def test_fees_from_schedule_and_volume() -> None:
    fees = FeeBook()
    fees.load_schedules(load("http_feeschedules"))
    fees.load_volumes({"volumesByFeeSchedule": {"eef90775-995b-4596-9257-0917f6134766": 150000}})
    fees.load_instruments(load("http_instruments")["instruments"])
    # PI_XBTUSD uses schedule eef90775 which is absent from the schedule list: tier 0 defaults.
    assert fees.rate("PI_XBTUSD", Liquidity.TAKER) == Decimal("0.0005")
    fees.schedule_of["PF_XBTUSD"] = "7fc4d7c0-464f-4029-a9bb-55856d0c5247"
    fees.volumes["7fc4d7c0-464f-4029-a9bb-55856d0c5247"] = Decimal(150000)
    assert fees.rate("PF_XBTUSD", Liquidity.MAKER) == Decimal("0.00015")
    assert fees.rate("PF_XBTUSD", Liquidity.TAKER) == Decimal("0.0004")


def test_times() -> None:
    assert parse_time("2025-11-17T00:31:01.835715Z").microsecond == 835715
    assert parse_time("2022-03-22T13:18:45Z") == datetime(2022, 3, 22, 13, 18, 45, tzinfo=UTC)
    assert format_time(datetime(2016, 2, 25, 9, 45, 53, 818000, tzinfo=UTC)) == (
        "2016-02-25T09:45:53.818Z"
    )
    assert from_ms(1612269825817) == datetime(2021, 2, 2, 12, 43, 45, 817000, tzinfo=UTC)


@pytest.mark.parametrize(
    "reply", [{}, {"accounts": []}, {"accounts": {"flex": 3}}], ids=["none", "list", "row"]
)
def test_malformed_accounts(reply: dict[str, object]) -> None:
    with pytest.raises(MalformedResponseError):
        parse.parse_accounts(reply)


def test_settlements_from_the_account_log_cash_leg_only() -> None:
    # Built from the documented account-log fields (no captured settlement row is public):
    # the cash leg and the position leg (asset = the contract) of one settlement, a trade.
    at = "2026-12-25T08:00:00.000Z"
    reply = {"accountUid": "u", "logs": [
        {"id": 9, "date": at, "asset": "ff_xbtusd_261225", "info": "settlement",
         "contract": "ff_xbtusd_261225", "old_balance": 0.1, "new_balance": 0.0},
        {"id": 8, "date": at, "asset": "usd", "info": "settlement",
         "contract": "ff_xbtusd_261225", "trade_price": 61000.0, "fee": 3.05,
         "realized_pnl": 100.0, "old_balance": 9997, "new_balance": 10093.95},
        {"id": 7, "date": "2026-12-24T08:00:00.000Z", "asset": "usd", "info": "futures trade",
         "contract": "ff_xbtusd_261225", "trade_price": 60000.0, "fee": 3.0},
    ]}  # fmt: skip
    [settled] = parse.parse_settlements(reply)
    assert settled.symbol == "FF_XBTUSD_261225" and settled.currency == "USD"
    assert (settled.price, settled.fee, settled.realized_pnl) == (
        Decimal(61000), Decimal("3.05"), Decimal(100),
    )  # fmt: skip
    assert settled.timestamp.isoformat() == "2026-12-25T08:00:00+00:00"
    assert settled.venue_id == "8"
    with pytest.raises(MalformedResponseError):
        parse.parse_settlements({"logs": None})
