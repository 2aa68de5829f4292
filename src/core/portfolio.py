"""The bot's own book: positions at weighted-average cost, PnL, fees and expected balances.

A spot pair (``BASE/QUOTE``) holds base units: a buy adds base and spends quote. A futures
contract (a ``DerivativeInstrument`` registered with ``Portfolio.register``) holds signed
contracts on margin: a fill moves only its settlement currency, by the PnL it realises less
the fee, and funding payments (``apply_funding``) move it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from src.core.derivatives import DerivativeInstrument, FundingPayment, Settlement
from src.core.execution import Fill

ZERO = Decimal(0)


def split_symbol(symbol: str) -> tuple[str, str]:
    """``"BTC/USD"`` -> ``("BTC", "USD")``."""
    base, sep, quote = symbol.partition("/")
    if not sep or not base or not quote:
        raise ValueError(f"symbol: expected BASE/QUOTE, got {symbol!r}")
    return base, quote


@dataclass(frozen=True)
class PositionState:
    """One pair's position: signed base quantity, average entry price, realized PnL, fees.

    PnL and fees are in the pair's quote currency; a fee charged in the base currency is
    valued at the fill price. A contract's are in its settlement currency (the base for an
    inverse contract, whose average entry is the harmonic mean of its fill prices).
    """

    symbol: str
    quantity: Decimal = ZERO
    average_price: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    fees: Decimal = ZERO
    trades: int = 0

    def unrealized_pnl(
        self, mark: Decimal | None, contract: DerivativeInstrument | None = None
    ) -> Decimal:
        """Return the open quantity's PnL at ``mark`` (quote currency); zero without a mark.

        For a contract: its settlement currency, by the contract's own PnL rule.
        """
        if mark is None or self.quantity == 0:
            return ZERO
        if contract is not None:
            return contract.pnl(self.quantity, self.average_price, mark)
        return (mark - self.average_price) * self.quantity

    def apply(self, fill: Fill, contract: DerivativeInstrument | None = None) -> PositionState:
        """Return the position after ``fill`` (weighted-average cost; realize on reduction).

        With ``contract`` the realised PnL follows the contract (size, linear or inverse).
        """
        signed = fill.quantity * fill.side.sign
        quantity, average, realized = self.quantity, self.average_price, self.realized_pnl
        if quantity == 0 or (quantity > 0) == (signed > 0):
            new_quantity = quantity + signed
            if contract is not None:
                average = contract.average_entry(abs(quantity), average, fill.quantity, fill.price)
            else:
                average = (abs(quantity) * average + fill.quantity * fill.price) / abs(new_quantity)
        else:
            closed = min(abs(signed), abs(quantity))
            direction = Decimal(1) if quantity > 0 else Decimal(-1)
            if contract is not None:
                realized += contract.pnl(closed * direction, average, fill.price)
            else:
                realized += closed * (fill.price - average) * direction
            new_quantity = quantity + signed
            if new_quantity == 0:
                average = ZERO
            elif (new_quantity > 0) != (quantity > 0):
                average = fill.price  # crossed through zero: the rest opens at this price
        fee = _fee_in_book_currency(fill, contract)
        return replace(
            self,
            quantity=new_quantity,
            average_price=average,
            realized_pnl=realized,
            fees=self.fees + fee,
            trades=self.trades + 1,
        )


def _fee_in_book_currency(fill: Fill, contract: DerivativeInstrument | None) -> Decimal:
    """The fill's fee in the currency its position keeps PnL in.

    A spot pair and a linear contract keep the quote currency (a base-currency fee is valued
    at the fill price); an inverse contract keeps its settlement (base) currency, so a fee
    charged in the quote currency is divided by the price.
    """
    if contract is None:
        base = split_symbol(fill.symbol)[0]
        return fill.fee * fill.price if fill.fee_currency == base else fill.fee
    if fill.fee_currency == contract.settlement_currency:
        return fill.fee
    if contract.settlement is Settlement.INVERSE:
        return fill.fee / fill.price
    return fill.fee * fill.price


def balance_deltas(
    fill: Fill, contract: DerivativeInstrument | None = None, realized: Decimal = ZERO
) -> dict[str, Decimal]:
    """How ``fill`` changes the account's asset balances (fee taken from its own currency).

    A contract's fill moves its settlement currency by ``realized`` (the PnL it realised)
    only: the position is on margin, no asset changes hands.
    """
    if contract is not None:
        deltas = {contract.settlement_currency: realized}
    else:
        base, quote = split_symbol(fill.symbol)
        sign = fill.side.sign
        deltas = {base: fill.quantity * sign, quote: -fill.notional * sign}
    deltas[fill.fee_currency] = deltas.get(fill.fee_currency, ZERO) - fill.fee
    return deltas


@dataclass(frozen=True)
class BalanceDifference:
    """An asset whose exchange balance differs from what the bot's fills explain."""

    asset: str
    expected: Decimal
    actual: Decimal

    @property
    def difference(self) -> Decimal:
        """Return actual minus expected (positive: the exchange holds more than explained)."""
        return self.actual - self.expected


class Portfolio:
    """Positions and expected balances, updated only by fills the order manager applies.

    The expected balances start from the exchange's balances when the bot first ran; every
    applied fill moves them. ``reconcile_balances`` reports differences and changes nothing:
    deposits, manual trades or lost fills all need a human, not an overwrite.
    """

    def __init__(
        self,
        positions: Mapping[str, PositionState] | None = None,
        expected_balances: Mapping[str, Decimal] | None = None,
        starting_equity: Decimal = ZERO,
    ) -> None:
        self.positions: dict[str, PositionState] = dict(positions or {})
        self.expected_balances: dict[str, Decimal] = dict(expected_balances or {})
        self.marks: dict[str, Decimal] = {}
        self.starting_equity = starting_equity
        #: Futures contracts by symbol (``register``); every other symbol is a spot pair.
        self.contracts: dict[str, DerivativeInstrument] = {}
        #: Funding received (+) or paid (-) per contract, and per settlement currency.
        self.funding: dict[str, Decimal] = {}
        self.funding_balances: dict[str, Decimal] = {}

    def register(self, instrument: object) -> None:
        """Book ``instrument`` as a contract when it is one (spot pairs need nothing)."""
        if isinstance(instrument, DerivativeInstrument):
            self.contracts[instrument.symbol] = instrument

    def apply_funding(self, payment: FundingPayment) -> None:
        """Add one funding payment to its contract's PnL and its currency's balance."""
        self.funding[payment.symbol] = self.funding.get(payment.symbol, ZERO) + payment.amount
        currency = payment.currency
        self.funding_balances[currency] = self.funding_balances.get(currency, ZERO) + (
            payment.amount
        )

    def expected_with_funding(self) -> dict[str, Decimal]:
        """Expected balances: what the fills explain plus the funding applied."""
        balances = dict(self.expected_balances)
        for currency, amount in self.funding_balances.items():
            balances[currency] = balances.get(currency, ZERO) + amount
        return balances

    def position(self, symbol: str) -> PositionState:
        """Return the position in ``symbol``, flat if it has never traded."""
        return self.positions.get(symbol) or PositionState(symbol)

    def quantities(self) -> dict[str, Decimal]:
        """Return the signed base quantity held in each symbol that has a position record."""
        return {s: p.quantity for s, p in self.positions.items()}

    def preview(self, fill: Fill) -> tuple[PositionState, dict[str, Decimal]]:
        """The position and expected balances after ``fill``, without changing anything."""
        contract = self.contracts.get(fill.symbol)
        before = self.position(fill.symbol)
        position = before.apply(fill, contract)
        realized = position.realized_pnl - before.realized_pnl
        balances = dict(self.expected_balances)
        for asset, delta in balance_deltas(fill, contract, realized).items():
            balances[asset] = balances.get(asset, ZERO) + delta
        return position, balances

    def commit(self, position: PositionState, balances: Mapping[str, Decimal]) -> None:
        """Adopt a preview once it is durably stored."""
        self.positions[position.symbol] = position
        self.expected_balances = dict(balances)

    def mark(self, symbol: str, price: Decimal) -> None:
        """Record ``price`` as the mark used to value ``symbol``'s open position."""
        self.marks[symbol] = price

    def in_quote(self, symbol: str, amount: Decimal) -> Decimal:
        """``symbol``'s book amount in its quote currency.

        Only an inverse contract's amounts (base currency) change: they are valued at the
        latest mark (the average entry before the first one; zero while neither is known,
        which the runtime's warm-up candles prevent), so the book's totals, equity and the
        loss limits read one currency.
        """
        contract = self.contracts.get(symbol)
        if contract is None:
            return amount
        return contract.to_quote(
            amount, self.marks.get(symbol) or self.position(symbol).average_price
        )

    @property
    def realized_pnl(self) -> Decimal:
        """Return the PnL realized by reducing positions, summed over symbols (before fees).

        In quote currency, as every total here (see ``in_quote``).
        """
        return sum((self.in_quote(s, p.realized_pnl) for s, p in self.positions.items()), ZERO)

    @property
    def unrealized_pnl(self) -> Decimal:
        """Return the open positions' PnL at the latest marks (unmarked symbols count zero)."""
        return sum(
            (
                self.in_quote(s, p.unrealized_pnl(self.marks.get(s), self.contracts.get(s)))
                for s, p in self.positions.items()
            ),
            ZERO,
        )

    @property
    def funding_pnl(self) -> Decimal:
        """Return the funding received (+) or paid (-) over all contracts (quote currency)."""
        return sum((self.in_quote(s, a) for s, a in self.funding.items()), ZERO)

    @property
    def fees(self) -> Decimal:
        """Return the fees paid over all symbols, in each pair's quote currency."""
        return sum((self.in_quote(s, p.fees) for s, p in self.positions.items()), ZERO)

    @property
    def trades(self) -> int:
        """Return the number of fills applied over all symbols."""
        return sum(p.trades for p in self.positions.values())

    @property
    def net_pnl(self) -> Decimal:
        """Realized plus unrealized, after fees, plus funding (zero for spot)."""
        return self.realized_pnl + self.unrealized_pnl - self.fees + self.funding_pnl

    @property
    def equity(self) -> Decimal:
        """Return the starting equity plus the net PnL."""
        return self.starting_equity + self.net_pnl

    def gross_exposure(self) -> Decimal:
        """Return the sum of absolute position values at the marks (average price if unmarked)."""
        total = ZERO
        for symbol, p in self.positions.items():
            price = self.marks.get(symbol, p.average_price)
            contract = self.contracts.get(symbol)
            total += (
                contract.quote_notional(p.quantity, price) if contract else abs(p.quantity) * price
            )
        return total

    def reconcile_balances(
        self,
        actual: Mapping[str, Decimal],
        tolerance: Decimal = Decimal("1e-8"),
        expected_balances: Mapping[str, Decimal] | None = None,
    ) -> list[BalanceDifference]:
        """Compare expected with the exchange's balances; return the differences (no changes).

        ``expected_balances`` replaces the fills' figures (e.g. ``expected_with_funding()``).
        """
        explained = self.expected_balances if expected_balances is None else expected_balances
        differences = []
        for asset in sorted(set(explained) | set(actual)):
            expected = explained.get(asset, ZERO)
            got = actual.get(asset, ZERO)
            if abs(got - expected) > tolerance:
                differences.append(BalanceDifference(asset, expected, got))
        return differences
