"""The runtime's futures book: funding applied once across restarts, positions reconciled."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from src.core.clock import ManualClock
from src.core.derivatives import (
    ContractType,
    DerivativeInstrument,
    DerivativePosition,
    DerivativeTicker,
    FundingPayment,
    MarginSummary,
    MarginTier,
    Settlement,
)
from src.core.errors import ConfigurationError
from src.core.execution import Fill, Side
from src.core.futures_account import FuturesAccount, FuturesBook, attach_futures
from src.core.futures_gate import AmendingFuturesRiskGate, FuturesRiskGate
from src.core.futures_risk import FuturesRiskLimits
from src.core.futures_settlement import ContractSettlement
from src.core.instruments import Instrument
from src.core.order_amend import AmendAck
from src.core.order_store import OrderStore
from src.core.portfolio import Portfolio

D = Decimal
T0 = datetime(2026, 1, 5, 8, tzinfo=UTC)
HOUR = timedelta(hours=1)
PF = DerivativeInstrument(
    symbol="PF_XBTUSD", base="BTC", quote="USD", price_tick=D(1), lot_step=D("0.0001"),
    margin_tiers=(MarginTier(floor=0, initial_rate="0.02", maintenance_rate="0.01"),),
)  # fmt: skip


class Venue:
    """An in-memory futures account: the positions and payments a test sets."""

    def __init__(self) -> None:
        self.payments: list[FundingPayment] = []
        self.positions: list[DerivativePosition] = []
        self.asked_since: list[datetime | None] = []

    async def get_futures_positions(self) -> list[DerivativePosition]:
        return list(self.positions)

    async def margin_for(self, symbol: str) -> MarginSummary | None:
        return None

    async def get_ticker(self, symbol: str) -> DerivativeTicker:
        return DerivativeTicker(symbol=symbol, timestamp=T0, mark_price=D(60000))

    async def get_funding_payments(self, since: datetime | None = None) -> list[FundingPayment]:
        self.asked_since.append(since)
        return [p for p in self.payments if since is None or p.timestamp >= since]


class SettlingVenue(Venue):
    """A venue that also reports fixed-maturity settlements."""

    async def get_settlements(self, since: datetime | None = None) -> list[ContractSettlement]:
        return []


class AmendingVenue(Venue):
    """A venue that amends orders in place."""

    async def amend_working_order(
        self, order_id: str, *, client_order_id: str | None = None,
        quantity: Decimal | None = None, limit_price: Decimal | None = None,
    ) -> AmendAck:  # fmt: skip
        return AmendAck(order_id=order_id)


def pay(at: datetime, amount: str, symbol: str = "PF_XBTUSD") -> FundingPayment:
    return FundingPayment(symbol=symbol, timestamp=at, amount=D(amount), currency="USD")


def traded_portfolio() -> Portfolio:
    book = Portfolio(expected_balances={"USD": D(10000)})
    book.register(PF)
    fill = Fill(fill_id="f1", order_id="o1", client_order_id="c1", symbol="PF_XBTUSD",
                side=Side.BUY, quantity=D("0.1"), price=D(60000), fee=D(3), fee_currency="USD",
                timestamp=T0)  # fmt: skip
    book.commit(*book.preview(fill))
    return book


async def test_funding_history_skipped_then_each_payment_applied_once(tmp_path: Path) -> None:
    venue, store = Venue(), OrderStore(tmp_path / "rt.db")
    assert isinstance(venue, FuturesAccount)
    venue.payments = [pay(T0 - HOUR, "-9")]  # before the bot existed
    book = FuturesBook(venue, traded_portfolio(), store, ["PF_XBTUSD"])
    assert await book.sync_funding() == 0 and book.until == T0 - HOUR
    # two contracts paid at the same instant, and one the bot does not trade
    venue.payments += [pay(T0, "-0.6"), pay(T0, "-0.2", "PF_ETHUSD"), pay(T0 + HOUR, "0.25")]
    assert await book.sync_funding() == 2
    assert book.portfolio.funding_pnl == D("-0.35")
    assert book.portfolio.expected_with_funding() == {"USD": D(10000) - D(3) - D("0.35")}
    assert await book.sync_funding() == 0  # the same reply again changes nothing
    assert venue.asked_since[-1] == T0 + HOUR
    assert book.paid_today("PF_XBTUSD", T0.date()) == D("0.35")
    assert book.paid_today("PF_XBTUSD", date(2026, 1, 6)) == 0  # another day: nothing yet

    # A restart reads the watermark and totals back: nothing is applied twice.
    again = FuturesBook(venue, traded_portfolio(), store, ["PF_XBTUSD"])
    assert again.portfolio.funding_pnl == D("-0.35") and again.until == T0 + HOUR
    venue.payments.append(pay(T0 + 2 * HOUR, "-0.5"))
    assert await again.sync_funding() == 1
    assert again.portfolio.funding_pnl == D("-0.85") and again.applied == 3


async def test_a_late_payment_at_the_watermark_instant_is_still_applied(tmp_path: Path) -> None:
    venue, store = Venue(), OrderStore(tmp_path / "rt.db")
    book = FuturesBook(venue, traded_portfolio(), store, ["PF_XBTUSD", "PF_SOLUSD"])
    await book.sync_funding()
    book.portfolio.positions["PF_SOLUSD"] = book.portfolio.position("PF_XBTUSD")
    venue.payments = [pay(T0, "-1")]
    assert await book.sync_funding() == 1
    venue.payments.append(pay(T0, "-2", "PF_SOLUSD"))  # published a moment later
    assert await book.sync_funding() == 1
    assert book.portfolio.funding == {"PF_XBTUSD": D(-1), "PF_SOLUSD": D(-2)}


async def test_reconcile_reports_position_differences_and_marks_at_the_venue(
    tmp_path: Path,
) -> None:
    venue, portfolio = Venue(), traded_portfolio()
    book = FuturesBook(venue, portfolio, OrderStore(tmp_path / "rt.db"), ["PF_XBTUSD"])
    venue.positions = [DerivativePosition(symbol="PF_XBTUSD", quantity=D("0.1"),
                                          average_price=D(60000), mark_price=D(61000),
                                          liquidation_price=D(50000))]  # fmt: skip
    result = await book.reconcile()
    assert result.position_differences == []
    assert portfolio.unrealized_pnl == D(100)  # valued at the venue's mark
    # The venue's figures name the size they are for (the book's may have moved since).
    assert "PF_XBTUSD[venue 0.1 mark 61000 liq 50000.00 upnl none]" in book.describe()
    venue.positions = []  # closed outside the bot
    [diff] = (await book.reconcile()).position_differences
    assert (diff.symbol, diff.expected, diff.actual) == ("PF_XBTUSD", D("0.1"), D(0))


def test_attach_futures_for_linear_and_inverse_contracts(tmp_path: Path) -> None:
    store, clock, limits = OrderStore(tmp_path / "rt.db"), ManualClock(), FuturesRiskLimits()
    spot = Instrument(symbol="BTC/USD", base="BTC", quote="USD", price_tick=D("0.1"),
                      lot_step=D("0.0001"))  # fmt: skip
    assert attach_futures(Venue(), {"BTC/USD": spot}, Portfolio(), store, limits, clock) is None
    attached = attach_futures(Venue(), {"PF_XBTUSD": PF}, Portfolio(), store, limits, clock)
    assert attached is not None and attached[1].limits is limits
    inverse = PF.model_copy(update={"symbol": "PI_XBTUSD", "settlement": Settlement.INVERSE})
    both = attach_futures(Venue(), {"PI_XBTUSD": inverse, "PF_XBTUSD": PF}, Portfolio(), store,
                          limits, clock)  # fmt: skip
    assert both is not None and both[0].symbols == {"PI_XBTUSD", "PF_XBTUSD"}
    dated = PF.model_copy(
        update={"symbol": "FF_XBTUSD_260925", "contract_type": ContractType.FIXED_MATURITY}
    )
    cases: list[tuple[object, dict[str, Instrument], str]] = [
        (Venue(), {"PF_XBTUSD": PF, "BTC/USD": spot}, "not both"),
        (Venue(), {"FF_XBTUSD_260925": dated}, "reports settlements"),
        (object(), {"PF_XBTUSD": PF}, "FuturesAccount"),
    ]
    for engine, instruments, message in cases:
        with pytest.raises(ConfigurationError, match=message):
            attach_futures(engine, instruments, Portfolio(), store, limits, clock)
    # An engine that reports settlements trades a dated contract: its book settles it.
    with pytest.raises(ConfigurationError, match="no expiry"):
        attach_futures(SettlingVenue(), {"FF_XBTUSD_260925": dated}, Portfolio(), store, limits,
                       clock)  # fmt: skip
    dated = dated.model_copy(update={"expiry": datetime(2026, 9, 25, 8, tzinfo=UTC)})
    settling = attach_futures(SettlingVenue(), {"FF_XBTUSD_260925": dated}, Portfolio(), store,
                              limits, clock)  # fmt: skip
    assert settling is not None and settling[0].settlements is not None
    assert set(settling[0].settlements.contracts) == {"FF_XBTUSD_260925"}
    # The gate amends in place exactly when the engine does (else cancel-and-replace).
    assert type(settling[1]) is FuturesRiskGate
    amending = attach_futures(AmendingVenue(), {"PF_XBTUSD": PF}, Portfolio(), store, limits,
                              clock)  # fmt: skip
    assert amending is not None and isinstance(amending[1], AmendingFuturesRiskGate)
