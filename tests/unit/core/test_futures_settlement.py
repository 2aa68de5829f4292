"""A dated contract's settlement booked once from the venue's record; expired contracts closed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from structlog.testing import capture_logs

from src.core.derivatives import ContractType, DerivativeInstrument, MarginTier
from src.core.execution import Fill, Side
from src.core.futures_settlement import (
    ContractSettlement,
    SettlementBook,
    SettlementSource,
    closed_reason,
    settlement_fill_id,
)
from src.core.order_store import OrderStore
from src.core.portfolio import Portfolio, PositionState

D = Decimal
EXPIRY = datetime(2026, 12, 25, 8, tzinfo=UTC)
FF = DerivativeInstrument(
    symbol="FF_XBTUSD_261225", base="BTC", quote="USD", price_tick=D(1), lot_step=D("0.0001"),
    margin_tiers=(MarginTier(floor=0, initial_rate="0.02", maintenance_rate="0.01"),),
    contract_type=ContractType.FIXED_MATURITY, expiry=EXPIRY,
)  # fmt: skip
PF = FF.model_copy(update={"symbol": "PF_XBTUSD", "contract_type": ContractType.PERPETUAL,
                           "expiry": None})  # fmt: skip


class Venue:
    """Settlements a test publishes; records what it was asked."""

    def __init__(self) -> None:
        self.rows: list[ContractSettlement] = []
        self.asked: list[datetime | None] = []

    async def get_settlements(self, since: datetime | None = None) -> list[ContractSettlement]:
        self.asked.append(since)
        return [r for r in self.rows if since is None or r.timestamp >= since]


def book_with(store: OrderStore, side: Side, quantity: str) -> Portfolio:
    saved = store.get("expected_balances") or {"USD": "10000"}
    portfolio = Portfolio(store.positions(), {k: D(v) for k, v in saved.items()})
    portfolio.register(FF)
    if not store.positions():
        fill = Fill(fill_id="f1", order_id="o1", client_order_id="c1", symbol=FF.symbol,
                    side=side, quantity=D(quantity), price=D(60000), fee=D(3),
                    fee_currency="USD", timestamp=EXPIRY - timedelta(days=1))  # fmt: skip
        position, balances = portfolio.preview(fill)
        assert store.record_fill(fill, None, position, balances)
        portfolio.commit(position, balances)
    return portfolio


def settled(price: str, fee: str, pnl: str | None = None) -> ContractSettlement:
    return ContractSettlement(FF.symbol, EXPIRY, D(price), D(fee), "USD",
                              None if pnl is None else D(pnl), "8")  # fmt: skip


async def test_the_settlement_closes_the_position_once_with_the_venues_price_and_fee(
    tmp_path: Path,
) -> None:
    store, venue = OrderStore(tmp_path / "rt.db"), Venue()
    assert isinstance(venue, SettlementSource)
    portfolio = book_with(store, Side.BUY, "0.1")
    book = SettlementBook(venue, portfolio, store, {FF.symbol: FF, PF.symbol: PF})
    assert set(book.contracts) == {FF.symbol}  # a perpetual never settles
    assert book.closed_symbols(EXPIRY - timedelta(seconds=1)) == set()
    assert await book.sync(EXPIRY - timedelta(seconds=1)) == 0 and venue.asked == []
    assert await book.sync(EXPIRY) == 0  # expired, but the venue has not settled yet
    assert venue.asked == [EXPIRY - timedelta(hours=1)]
    # 0.1 long from 60,000 settled at 61,000: +100, taker fee 0.1 * 61,000 * 0.05 % = 3.05
    venue.rows = [settled("61000", "3.05", "100")]
    assert await book.sync(EXPIRY + timedelta(minutes=1)) == 1
    position = portfolio.position(FF.symbol)
    assert position.quantity == 0 and position.realized_pnl == D(100)
    assert position.fees == D("6.05") and position.trades == 2
    assert portfolio.expected_balances == {"USD": D(10000) - D(3) + D(100) - D("3.05")}
    [_, stored] = store.fills()
    assert stored.fill_id == settlement_fill_id(FF.symbol) and stored.side is Side.SELL
    assert stored.order_id == "settlement:8" and stored.client_order_id is None  # no order
    assert (stored.quantity, stored.price, stored.fee) == (D("0.1"), D(61000), D("3.05"))
    assert await book.sync(EXPIRY + timedelta(minutes=2)) == 0  # flat now: nothing is due
    assert len(venue.asked) == 2  # and the venue is not asked again


async def test_a_restart_after_the_settlement_books_nothing_twice(tmp_path: Path) -> None:
    path, venue = tmp_path / "rt.db", Venue()
    venue.rows = [settled("59000", "2.95")]
    store = OrderStore(path)
    book = SettlementBook(venue, book_with(store, Side.SELL, "0.1"), store, {FF.symbol: FF})
    assert await book.sync(EXPIRY) == 1  # a short from 60,000 settled at 59,000: +100
    store.close()

    store = OrderStore(path)
    portfolio = book_with(store, Side.SELL, "0.1")  # read back from the database
    assert portfolio.position(FF.symbol).quantity == 0
    assert portfolio.expected_balances == {"USD": D(10000) - D(3) + D(100) - D("2.95")}
    again = SettlementBook(venue, portfolio, store, {FF.symbol: FF})
    assert await again.sync(EXPIRY + timedelta(hours=1)) == 0
    assert len(store.fills()) == 2


async def test_a_position_reopened_in_memory_cannot_be_settled_twice(tmp_path: Path) -> None:
    # The fill id is the contract's: even if the books held the contract again, the store
    # refuses a second settlement of it.
    store, venue = OrderStore(tmp_path / "rt.db"), Venue()
    venue.rows = [settled("61000", "3.05")]
    portfolio = book_with(store, Side.BUY, "0.1")
    book = SettlementBook(venue, portfolio, store, {FF.symbol: FF})
    assert await book.sync(EXPIRY) == 1
    portfolio.positions[FF.symbol] = PositionState(FF.symbol, D(1))
    assert await book.sync(EXPIRY) == 0
    assert portfolio.position(FF.symbol).quantity == 1  # untouched: reconcile reports it


def test_closed_reason_names_the_contract_and_its_expiry() -> None:
    assert closed_reason(PF, EXPIRY) is None
    assert closed_reason(FF, EXPIRY - timedelta(microseconds=1)) is None
    reason = closed_reason(FF, EXPIRY)
    assert reason is not None and FF.symbol in reason and "2026-12-25T08:00:00+00:00" in reason


async def test_a_venue_pnl_unlike_the_bots_is_booked_as_the_bot_computes_and_logged(
    tmp_path: Path,
) -> None:
    store, venue = OrderStore(tmp_path / "rt.db"), Venue()
    venue.rows = [settled("61000", "3.05", "90")]  # the venue held another entry price
    portfolio = book_with(store, Side.BUY, "0.1")
    book = SettlementBook(venue, portfolio, store, {FF.symbol: FF})
    with capture_logs() as logs:
        assert await book.sync(EXPIRY) == 1
    assert portfolio.position(FF.symbol).realized_pnl == D(100)
    [warning] = [e for e in logs if e["event"] == "futures.settlement_pnl_difference"]
    assert (warning["bot"], warning["venue"]) == ("100.0", "90")
