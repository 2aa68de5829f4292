"""Futures in venue-neutral terms: contracts, margin tiers, marks, positions and funding.

A spot pair holds base units; a futures contract holds a signed number of contracts (negative
is short) settled in a *settlement currency*. Two settlement styles cover the listed venues:

* ``LINEAR``: a contract is ``contract_size`` base units, valued and settled in the quote
  currency (PnL = ``q * size * (exit - entry)``).
* ``INVERSE``: a contract is ``contract_size`` units of the quote currency (1 USD), settled in
  the base currency (PnL = ``q * size * (1/entry - 1/exit)`` base units).

Every amount below is in the instrument's settlement currency unless its name says quote.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, field_validator

from src.core.decimals import to_decimal
from src.core.execution import Position, Side, ensure_utc
from src.core.instruments import Instrument

__all__ = [
    "ContractType",
    "DerivativeInstrument",
    "DerivativePosition",
    "DerivativeTicker",
    "FundingPayment",
    "FundingRate",
    "MarginSummary",
    "MarginTier",
    "Settlement",
    "TierBasis",
    "quote_value",
]

ZERO = Decimal(0)
ONE = Decimal(1)


class ContractType(StrEnum):
    """Whether a contract rolls forever (funding) or ends on a date (settlement)."""

    PERPETUAL = "perpetual"
    FIXED_MATURITY = "fixed_maturity"


class Settlement(StrEnum):
    """How a contract is valued: in the quote currency (linear) or the base (inverse)."""

    LINEAR = "linear"
    INVERSE = "inverse"


class TierBasis(StrEnum):
    """What a margin tier's lower bound counts: contracts or quote-currency notional."""

    CONTRACTS = "contracts"
    NOTIONAL = "notional"


class MarginTier(BaseModel):
    """One row of a margin schedule: from ``floor`` up, these initial/maintenance rates."""

    model_config = ConfigDict(frozen=True)

    floor: Decimal
    initial_rate: Decimal
    maintenance_rate: Decimal

    @field_validator("floor", "initial_rate", "maintenance_rate", mode="before")
    @classmethod
    def _dec(cls, value: object, info: object) -> Decimal:
        name = getattr(info, "field_name", "value")
        result = to_decimal(value, field=name)
        if result < 0:
            raise ValueError(f"{name}: must not be negative, got {result}")
        return result


class DerivativeInstrument(Instrument):
    """A futures contract: an ``Instrument`` plus what margin, PnL and funding need.

    ``lot_step``/``min_quantity`` count contracts. ``margin_tiers`` are sorted by floor;
    the tier whose floor the position reaches applies to the whole position (the model this
    project uses where a venue does not publish whether tiers are marginal).
    """

    contract_type: ContractType = ContractType.PERPETUAL
    settlement: Settlement = Settlement.LINEAR
    contract_size: Decimal = ONE
    settlement_currency: str = "USD"
    margin_tiers: tuple[MarginTier, ...] = ()
    tier_basis: TierBasis = TierBasis.NOTIONAL
    max_position: Decimal | None = None
    funding_interval: timedelta | None = None
    max_funding_rate: Decimal | None = None
    expiry: datetime | None = None
    underlying: str | None = None

    @field_validator("expiry")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else ensure_utc(value, "expiry")

    @property
    def is_perpetual(self) -> bool:
        """True for a contract without maturity."""
        return self.contract_type is ContractType.PERPETUAL

    def quote_notional(self, quantity: Decimal, price: Decimal) -> Decimal:
        """Absolute position value in the quote currency (USD) at ``price``."""
        size = abs(quantity) * self.contract_size
        return size * price if self.settlement is Settlement.LINEAR else size

    def settlement_value(self, quantity: Decimal, price: Decimal) -> Decimal:
        """Absolute position value in the settlement currency at ``price``."""
        size = abs(quantity) * self.contract_size
        return size * price if self.settlement is Settlement.LINEAR else size / price

    def to_quote(self, amount: Decimal, price: Decimal) -> Decimal:
        """An amount in the settlement currency, in the quote currency at ``price``.

        Linear contracts settle in the quote currency already; an inverse one's base-currency
        amount is worth ``amount * price`` quote units.
        """
        return amount if self.settlement is Settlement.LINEAR else amount * price

    def average_entry(
        self, held: Decimal, entry: Decimal, added: Decimal, price: Decimal
    ) -> Decimal:
        """The average entry after adding ``added`` contracts at ``price`` to ``held`` at ``entry``.

        Both counts are absolute and on the same side. Linear: weighted by contracts (each is
        base units). Inverse: the harmonic mean, since each contract is a fixed quote amount
        and its base value is ``size / price``; venues average inverse entries this way, so
        the PnL a later close realises matches theirs.
        """
        total = held + added
        if held == 0:
            return price
        if self.settlement is Settlement.LINEAR:
            return (held * entry + added * price) / total
        return total / (held / entry + added / price)

    def pnl(self, quantity: Decimal, entry: Decimal, exit_price: Decimal) -> Decimal:
        """PnL of a signed ``quantity`` opened at ``entry`` and valued at ``exit_price``."""
        size = quantity * self.contract_size
        if self.settlement is Settlement.LINEAR:
            return size * (exit_price - entry)
        return size * (ONE / entry - ONE / exit_price)

    def tier(self, quantity: Decimal, price: Decimal) -> MarginTier:
        """The margin tier a position of ``quantity`` at ``price`` falls in."""
        if not self.margin_tiers:
            raise ValueError(f"{self.symbol}: no margin schedule")
        reach = abs(quantity) if self.tier_basis is TierBasis.CONTRACTS else None
        if reach is None:
            reach = self.quote_notional(quantity, price)
        chosen = self.margin_tiers[0]
        for tier in self.margin_tiers:
            if reach >= tier.floor:
                chosen = tier
        return chosen

    def initial_margin(self, quantity: Decimal, price: Decimal) -> Decimal:
        """Initial margin of a position (settlement currency)."""
        if quantity == 0:
            return ZERO
        return self.settlement_value(quantity, price) * self.tier(quantity, price).initial_rate

    def maintenance_margin(self, quantity: Decimal, price: Decimal) -> Decimal:
        """Maintenance margin of a position (settlement currency)."""
        if quantity == 0:
            return ZERO
        rate = self.tier(quantity, price).maintenance_rate
        return self.settlement_value(quantity, price) * rate

    def absolute_funding_rate(self, relative: Decimal, price: Decimal) -> Decimal:
        """Funding per contract per period (settlement currency) from a relative rate.

        Linear: ``relative * price`` quote units per base unit; inverse: ``relative / price``
        base units per one-dollar contract.
        """
        if self.settlement is Settlement.LINEAR:
            return relative * price * self.contract_size
        return relative / price * self.contract_size

    def funding_payment(self, quantity: Decimal, absolute_rate: Decimal) -> Decimal:
        """What a position receives (+) or pays (-) for one period at ``absolute_rate``.

        A positive rate means longs pay shorts.
        """
        return -quantity * absolute_rate

    def liquidation_price(
        self, quantity: Decimal, entry: Decimal, collateral: Decimal, maintenance_rate: Decimal
    ) -> Decimal | None:
        """The price at which equity falls to maintenance margin (None: no such price).

        ``collateral`` is the equity backing this position apart from its own PnL
        (settlement currency). Solved from ``collateral + pnl(p) = mm_rate * value(p)``.
        """
        if quantity == 0:
            return None
        q = quantity * self.contract_size
        m = maintenance_rate
        if self.settlement is Settlement.LINEAR:
            numerator, denominator = q * entry - collateral, q - abs(q) * m
        else:
            numerator, denominator = q + abs(q) * m, collateral + q / entry
        if denominator == 0:
            return None
        price = numerator / denominator
        # No positive solution: equity never falls to maintenance (e.g. a 1x inverse short).
        return price if price > 0 else None

    def time_to_expiry(self, now: datetime) -> timedelta | None:
        """Time left until expiry (None for a perpetual; never negative)."""
        if self.expiry is None:
            return None
        return max(timedelta(0), self.expiry - ensure_utc(now, "now"))


class DerivativePosition(Position):
    """A futures position: ``quantity`` in signed contracts (negative = short).

    Adds what a margined position carries; every money field is in ``margin_currency``.
    """

    mark_price: Decimal | None = None
    liquidation_price: Decimal | None = None
    initial_margin: Decimal | None = None
    maintenance_margin: Decimal | None = None
    leverage: Decimal | None = None
    unrealized_funding: Decimal | None = None
    margin_currency: str | None = None

    @property
    def size(self) -> Decimal:
        """Absolute number of contracts."""
        return abs(self.quantity)

    @property
    def is_short(self) -> bool:
        """True for a short position."""
        return self.quantity < 0

    @property
    def direction(self) -> Side:
        """BUY for long, SELL for short (the side that opened it)."""
        return self.side


class DerivativeTicker(BaseModel):
    """A futures ticker: top of book plus the mark, index and funding figures."""

    model_config = ConfigDict(frozen=True)

    symbol: str
    timestamp: datetime
    bid: Decimal | None = None
    ask: Decimal | None = None
    last: Decimal | None = None
    mark_price: Decimal | None = None
    index_price: Decimal | None = None
    funding_rate: Decimal | None = None
    funding_rate_prediction: Decimal | None = None
    relative_funding_rate: Decimal | None = None
    open_interest: Decimal | None = None
    volume_24h: Decimal | None = None
    suspended: bool = False
    post_only: bool = False

    @property
    def basis(self) -> Decimal | None:
        """Mark over index, relative (``mark / index - 1``), when both are known."""
        if self.mark_price is None or not self.index_price:
            return None
        return self.mark_price / self.index_price - ONE


class FundingRate(BaseModel):
    """One funding period's rate: absolute (per contract) and relative to the index."""

    model_config = ConfigDict(frozen=True)

    symbol: str
    timestamp: datetime
    absolute_rate: Decimal
    relative_rate: Decimal


class FundingPayment(BaseModel):
    """Funding a position received (+) or paid (-) at the end of one period.

    Venues report the amount and the rate; the position size, relative rate and mark are
    filled in where the venue (or the simulation) knows them.
    """

    model_config = ConfigDict(frozen=True)

    symbol: str
    timestamp: datetime
    amount: Decimal
    currency: str
    absolute_rate: Decimal | None = None
    relative_rate: Decimal | None = None
    quantity: Decimal | None = None
    mark_price: Decimal | None = None


class MarginSummary(BaseModel):
    """A margin account's figures in one currency (the venue's own numbers)."""

    model_config = ConfigDict(frozen=True)

    currency: str
    balance_value: Decimal
    portfolio_value: Decimal
    collateral_value: Decimal
    initial_margin: Decimal
    initial_margin_with_orders: Decimal
    maintenance_margin: Decimal
    unrealized_pnl: Decimal
    unrealized_funding: Decimal
    margin_equity: Decimal
    available_margin: Decimal

    @property
    def margin_ratio(self) -> Decimal | None:
        """Maintenance margin over equity (>= 1 means liquidation); None when flat."""
        if self.maintenance_margin == 0:
            return None
        if self.margin_equity <= 0:
            return Decimal("Infinity")
        return self.maintenance_margin / self.margin_equity


def quote_value(instrument: Instrument | None, quantity: Decimal, price: Decimal) -> Decimal:
    """Absolute value of ``quantity`` in the quote currency at ``price``.

    A spot pair's quantity is base units (``|quantity| * price``); a contract's is counted by
    its own rule (an inverse contract is a fixed quote amount, whatever the price).
    """
    if isinstance(instrument, DerivativeInstrument):
        return instrument.quote_notional(quantity, price)
    return abs(quantity) * price
