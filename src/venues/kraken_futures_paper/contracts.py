"""The venue's contracts: Kraken's instrument fields, and its own value, PnL and margin arithmetic.

Deliberately independent of ``src/core/derivatives.py`` (the adapter side's arithmetic): the
two are checked against the same hand-computed cases, so a mistake cannot hide in both.
Numbers follow Kraken's 2022 spec examples for ``PF_XBTUSD``/``PI_XBTUSD`` and a 2025
capture for ``PF_ETHUSD`` (shared/kraken-futures-api.md section 4).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

__all__ = ["Contract", "default_contracts", "last_friday"]

D = Decimal
DEFAULT_MAX_FUNDING = Decimal("0.001")
ONE = Decimal(1)
FEE_SCHEDULE_UID = "7fc4d7c0-464f-4029-a9bb-55856d0c5247"  # spec FeeSchedulesExample PGTMainFees


@dataclass
class Contract:
    """One listed futures contract.

    ``linear``: size in base units, valued and settled in USD (PF_, FF_). Otherwise inverse:
    size in one-dollar contracts, settled in the base currency (PI_, FI_). ``tiers`` are
    ``(floor, initial, maintenance)`` with floors in USD notional (linear) or contracts
    (inverse); the tier a position reaches applies to all of it (Kraken does not say whether
    tiers are marginal; this is the stated model).
    """

    symbol: str
    base: str  # Kraken's code: XBT, ETH
    linear: bool
    tick: Decimal
    precision: int  # contractValueTradePrecision
    tiers: tuple[tuple[Decimal, Decimal, Decimal], ...]
    max_position: Decimal
    last_trading: datetime | None = None
    max_relative_funding: Decimal = DEFAULT_MAX_FUNDING
    funding_coefficient: int = 24
    impact_mid_size: Decimal = ONE
    post_only: bool = False
    tradeable: bool = True
    settled: bool = False
    opening: datetime = field(default_factory=lambda: datetime(2022, 1, 1, tzinfo=UTC))

    @property
    def perpetual(self) -> bool:
        """True for PF_/PI_ (funding), False for FF_/FI_ (settlement)."""
        return self.last_trading is None

    @property
    def lot(self) -> Decimal:
        """Order size step."""
        return D(1).scaleb(-self.precision)

    @property
    def settlement_currency(self) -> str:
        """USD for linear, the base (Kraken code) for inverse."""
        return "USD" if self.linear else self.base

    @property
    def tag(self) -> str:
        """The ticker's ``tag``."""
        if self.perpetual:
            return "perpetual"
        return "quarter" if self.symbol.startswith("FI_") else "month"

    def value(self, size: Decimal, price: Decimal) -> Decimal:
        """|size| valued at ``price`` in the settlement currency."""
        return abs(size) * price if self.linear else abs(size) / price

    def usd_notional(self, size: Decimal, price: Decimal) -> Decimal:
        """|size| in USD."""
        return abs(size) * price if self.linear else abs(size)

    def pnl(self, size: Decimal, entry: Decimal, price: Decimal) -> Decimal:
        """Signed ``size`` opened at ``entry``, valued at ``price`` (settlement currency)."""
        if self.linear:
            return size * (price - entry)
        return size * (1 / entry - 1 / price)

    def rates(self, size: Decimal, price: Decimal) -> tuple[Decimal, Decimal]:
        """(initial, maintenance) rate of the tier the position reaches."""
        reach = self.usd_notional(size, price) if self.linear else abs(size)
        initial, maintenance = self.tiers[0][1], self.tiers[0][2]
        for floor, im, mm in self.tiers:
            if reach >= floor:
                initial, maintenance = im, mm
        return initial, maintenance

    def margins(self, size: Decimal, price: Decimal) -> tuple[Decimal, Decimal]:
        """(initial, maintenance) margin of a position, settlement currency."""
        if size == 0:
            return D(0), D(0)
        im, mm = self.rates(size, price)
        value = self.value(size, price)
        return value * im, value * mm

    def absolute_rate(self, relative: Decimal, price: Decimal) -> Decimal:
        """Funding per contract per hour from the relative rate (settlement currency)."""
        return relative * price if self.linear else relative / price

    def round_tick(self, price: Decimal) -> Decimal:
        """``price`` to the nearest tick."""
        return (price / self.tick).to_integral_value() * self.tick

    def on_tick(self, price: Decimal) -> bool:
        """True when ``price`` is a whole number of ticks."""
        return (price / self.tick) == (price / self.tick).to_integral_value()

    def on_lot(self, size: Decimal) -> bool:
        """True when ``size`` is a whole number of lots."""
        return (size / self.lot) == (size / self.lot).to_integral_value()


def last_friday(year: int, month: int, hour: int) -> datetime:
    """The last Friday of a month at ``hour``:00 UTC (Kraken's fixed-maturity expiry day)."""
    last_day = calendar.monthrange(year, month)[1]
    day = max(d for d in range(last_day - 6, last_day + 1) if calendar.weekday(year, month, d) == 4)
    return datetime(year, month, day, hour, tzinfo=UTC)


def _next_expiry(now: datetime, months: tuple[int, ...], hour: int) -> datetime:
    year, month = now.year, now.month
    for _ in range(24):
        if month in months:
            expiry = last_friday(year, month, hour)
            if expiry - now > timedelta(days=2):
                return expiry
        month += 1
        if month == 13:
            year, month = year + 1, 1
    raise ValueError("no expiry found")  # pragma: no cover - 24 months always contain one


_PF_TIERS = tuple(
    (D(f), D(im), D(im) / 2)
    for f, im in ((0, "0.02"), (500000, "0.04"), (2000000, "0.10"), (5000000, "0.20"),
                  (10000000, "0.30"), (30000000, "0.50"))
)  # fmt: skip
_PI_TIERS = tuple(
    (D(f), D(im), D(im) / 2)
    for f, im in ((0, "0.02"), (500000, "0.04"), (1000000, "0.06"), (3000000, "0.10"))
)
_ETH_TIERS = ((D(0), D("0.02"), D("0.01")), (D(2000000), D("0.04"), D("0.02")))


def default_contracts(now: datetime) -> list[Contract]:
    """PF_XBTUSD, PF_ETHUSD, PI_XBTUSD, a monthly FF_XBTUSD and a quarterly FI_XBTUSD."""
    monthly = _next_expiry(now, tuple(range(1, 13)), 8)  # FF: 08:00 UTC, last Friday
    quarterly = _next_expiry(now, (3, 6, 9, 12), 15)  # FI: 15:00 UTC, as the spec example
    return [
        Contract("PF_XBTUSD", "XBT", True, D(1), 4, _PF_TIERS, D(1000)),
        Contract("PF_ETHUSD", "ETH", True, D("0.1"), 3, _ETH_TIERS, D(16000),
                 max_relative_funding=D("0.0025"), impact_mid_size=D("1.5")),
        Contract("PI_XBTUSD", "XBT", False, D("0.5"), 0, _PI_TIERS, D(1000000),
                 funding_coefficient=8),
        Contract(f"FF_XBTUSD_{monthly:%y%m%d}", "XBT", True, D(1), 4, _PF_TIERS, D(1000),
                 last_trading=monthly),
        Contract(f"FI_XBTUSD_{quarterly:%y%m%d}", "XBT", False, D("0.5"), 0, _PI_TIERS,
                 D(1000000), last_trading=quarterly),
    ]  # fmt: skip
