"""The venue's market: an index per base currency, each contract's mark, house liquidity, prints.

Chosen model (Kraken publishes neither its index construction nor its mark formula):

* the index of each base (XBT, ETH) follows a seeded geometric random walk, or is set by hand
  (``set_index``) in tests and replays;
* a perpetual's mark is ``index * (1 + premium)``, the premium a mean-reverting process around
  zero (``basis_volatility``), or fixed with ``set_premium``;
* a fixed-maturity contract's mark is ``index * (1 + annual_basis * years_to_expiry)``, so the
  basis decays to zero at expiry;
* house liquidity: ``levels`` price levels each side around the mark, ``spread_bps`` from it
  and ``step_bps`` apart, each worth ``level_usd``; it replenishes after every order, so a big
  order walks the levels (slippage) but never exhausts the market.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from src.venues.kraken_futures_paper.contracts import Contract

__all__ = ["HouseDepth", "IndexWalk", "MarketState", "Print"]

D = Decimal
MARK_QUANTUM = D("0.0000001")
SECONDS_PER_YEAR = D(365 * 24 * 3600)
ZERO = D(0)
SPREAD_BPS, STEP_BPS, LEVEL_USD = D(5), D(2), D(50000)
ANNUAL_BASIS = D("0.05")


@dataclass
class Print:
    """One public trade."""

    uid: str
    price: Decimal
    size: Decimal
    side: str  # taker side
    time: datetime
    kind: str = "fill"  # fill | liquidation
    trade_id: int = 0


@dataclass
class HouseDepth:
    """The house's standing quotes around the mark."""

    levels: int = 10
    spread_bps: Decimal = SPREAD_BPS
    step_bps: Decimal = STEP_BPS
    level_usd: Decimal = LEVEL_USD

    def quotes(self, contract: Contract, mark: Decimal, side: str) -> list[tuple[Decimal, Decimal]]:
        """House levels on ``side`` (``sell`` = asks, ``buy`` = bids), best first."""
        out: list[tuple[Decimal, Decimal]] = []
        for k in range(self.levels):
            offset = (self.spread_bps + self.step_bps * k) / D(10000)
            raw = mark * (1 + offset) if side == "sell" else mark * (1 - offset)
            ticks = raw / contract.tick
            rounded = ticks.to_integral_value(ROUND_CEILING if side == "sell" else ROUND_FLOOR)
            price = rounded * contract.tick
            size = self.level_usd / price if contract.linear else self.level_usd
            size = (size / contract.lot).to_integral_value(ROUND_FLOOR) * contract.lot
            if size > 0 and (not out or out[-1][0] != price):
                out.append((price, size))
        return out


@dataclass
class IndexWalk:
    """A seeded geometric random walk (annualised ``volatility``)."""

    price: Decimal
    volatility: float = 0.6
    rng: random.Random = field(default_factory=random.Random)

    def advance(self, seconds: float) -> Decimal:
        """Move the index by ``seconds`` of time; returns the new value."""
        if seconds > 0:
            sigma = self.volatility * math.sqrt(seconds / (365 * 24 * 3600))
            step = math.exp(sigma * self.rng.gauss(0, 1) - sigma * sigma / 2)
            self.price = (self.price * D(repr(step))).quantize(D("0.01"))
        return self.price


@dataclass
class MarketState:
    """One contract's prices, premium samples, prints and 24 h statistics."""

    contract: Contract
    index: Decimal
    premium: Decimal = ZERO
    annual_basis: Decimal = ANNUAL_BASIS
    last: Decimal | None = None
    last_time: datetime | None = None
    last_size: Decimal | None = None
    prints: deque[Print] = field(default_factory=lambda: deque(maxlen=5000))
    premium_samples: list[Decimal] = field(default_factory=list)
    next_trade_id: int = 1
    open_interest: Decimal = ZERO

    def mark(self, now: datetime) -> Decimal:
        """The mark price now."""
        if self.contract.perpetual:
            raw = self.index * (1 + self.premium)
        else:
            assert self.contract.last_trading is not None
            left = max(D(0), D((self.contract.last_trading - now).total_seconds()))
            raw = self.index * (1 + self.annual_basis * left / SECONDS_PER_YEAR)
        return raw.quantize(MARK_QUANTUM)

    def price_for(self, signal: str, now: datetime) -> Decimal:
        """The trigger price for ``mark``, ``index``/``spot`` or ``last``."""
        if signal in ("index", "spot"):
            return self.index
        if signal == "last" and self.last is not None:
            return self.last
        return self.mark(now)

    def record(self, item: Print) -> None:
        """Keep a public trade and move ``last``."""
        item.trade_id = self.next_trade_id
        self.next_trade_id += 1
        self.prints.append(item)
        self.last, self.last_time, self.last_size = item.price, item.time, item.size

    def stats_24h(self, now: datetime) -> tuple[Decimal, Decimal, Decimal | None]:
        """(volume in contracts, volume in quote, open price) of the last 24 h of prints."""
        since = now - timedelta(hours=24)
        window = [p for p in self.prints if p.time >= since]
        volume = sum((p.size for p in window), D(0))
        quote = sum((p.size * p.price for p in window), D(0))
        return volume, quote, window[0].price if window else None

    def sample_premium(self, now: datetime) -> None:
        """Record the current premium for the funding-rate estimate."""
        if self.index > 0:
            self.premium_samples.append(self.mark(now) / self.index - 1)
