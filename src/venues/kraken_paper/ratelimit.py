"""Server-side Kraken rate limits: REST call counter per key and per-pair trading counter."""

from __future__ import annotations

from dataclasses import dataclass, field

from src.venues.kraken_paper import errors as E
from src.venues.kraken_paper.errors import KrakenError


@dataclass(frozen=True)
class Tier:
    """Limits of one verification tier (kraken-api.md section 8)."""

    rest_max: float
    rest_decay: float
    trade_threshold: float
    trade_decay: float
    max_open_per_pair: int


TIERS: dict[str, Tier] = {
    "starter": Tier(15, 0.33, 60, 1.0, 60),
    "intermediate": Tier(20, 0.5, 125, 2.34, 80),
    "pro": Tier(20, 1.0, 180, 3.75, 225),
}
# Per-call REST costs; trading calls use the trading counter instead (cost 0 here).
REST_COSTS: dict[str, float] = {
    "Ledgers": 2, "QueryLedgers": 2, "TradesHistory": 2,
    "AddOrder": 0, "AddOrderBatch": 0, "AmendOrder": 0, "EditOrder": 0, "CancelOrder": 0,
    "CancelOrderBatch": 0,
}  # fmt: skip
# Decaying penalty by order age (seconds): list of (age below, points).
AMEND_PENALTY = ((5, 3), (10, 2), (15, 1))
EDIT_PENALTY = ((5, 6), (10, 5), (15, 4), (45, 2), (90, 1))
CANCEL_PENALTY = ((5, 8), (10, 6), (15, 5), (45, 4), (90, 2), (300, 1))


def age_penalty(table: tuple[tuple[int, int], ...], age: float | None) -> int:
    """Points for an order of ``age`` seconds (none once older than the table)."""
    if age is None:
        return 0
    for limit, points in table:
        if age < limit:
            return points
    return 0


@dataclass
class DecayingCounter:
    """A counter that decays linearly with time, floored at zero."""

    decay: float
    value: float = 0.0
    stamp: float = 0.0

    def current(self, now: float) -> float:
        """Decay the counter to ``now`` and return its value."""
        self.value = max(0.0, self.value - (now - self.stamp) * self.decay)
        self.stamp = now
        return self.value


@dataclass
class RateLimits:
    """All counters of the exchange for one tier."""

    tier: Tier
    enabled: bool = True
    rest: dict[str, DecayingCounter] = field(default_factory=dict)
    trading: dict[tuple[str, str], DecayingCounter] = field(default_factory=dict)

    def charge_rest(self, api_key: str, method: str, now: float) -> None:
        """Add the call's cost to the key's counter or raise ``EAPI:Rate limit exceeded``."""
        cost = REST_COSTS.get(method, 1)
        if not self.enabled or cost == 0:
            return
        counter = self.rest.setdefault(api_key, DecayingCounter(self.tier.rest_decay, 0.0, now))
        if counter.current(now) + cost > self.tier.rest_max:
            raise KrakenError(E.REST_RATE_LIMIT)
        counter.value += cost

    def trade_count(self, account_id: str, pair: str, now: float) -> float:
        """Current trading counter of an account on a pair."""
        key = (account_id, pair)
        counter = self.trading.setdefault(key, DecayingCounter(self.tier.trade_decay, 0.0, now))
        return counter.current(now)

    def charge_trade(
        self, account_id: str, pair: str, points: float, now: float, force: bool = False
    ) -> None:
        """Add points to the per-pair counter, or raise ``EOrder:Rate limit exceeded``.

        ``force`` accepts the transaction even over the threshold (Kraken does this for batch
        cancels) while still counting it.
        """
        if not self.enabled:
            return
        value = self.trade_count(account_id, pair, now)
        if not force and value + points > self.tier.trade_threshold:
            raise KrakenError(E.TRADING_RATE_LIMIT)
        self.trading[(account_id, pair)].value = value + points
