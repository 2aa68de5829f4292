"""Kraken's rate-limit numbers as data: tiers, REST call costs and trading-counter penalties."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, get_args

Tier = Literal["starter", "intermediate", "pro"]
TradeAction = Literal["add", "amend", "edit", "cancel", "batch_add", "batch_cancel"]
#: What the gate does at a limit: sleep until the call fits, or raise LocalRateLimitError.
RateLimitMode = Literal["wait", "refuse"]


@dataclass(frozen=True)
class TierLimits:
    """One verification tier's limits.

    Attributes:
        rest_max: REST call counter maximum.
        rest_decay: REST counter decay per second.
        trade_threshold: per-pair trading counter threshold.
        trade_decay: per-pair trading counter decay per second.
        max_open_orders: open orders allowed per pair.
    """

    rest_max: float
    rest_decay: float
    trade_threshold: float
    trade_decay: float
    max_open_orders: int


#: REST: https://docs.kraken.com/exchange/guides/rest/ratelimits (the api/docs page omits Starter).
#: Trading: https://docs.kraken.com/api/docs/guides/spot-ratelimits (threshold, decay, open orders).
TIERS: Mapping[str, TierLimits] = MappingProxyType(
    {
        "starter": TierLimits(15, 0.33, 60, 1.0, 60),
        "intermediate": TierLimits(20, 0.5, 125, 2.34, 80),
        "pro": TierLimits(20, 1.0, 180, 3.75, 225),
    }
)

#: Cost of any REST call not listed below.
DEFAULT_REST_COST = 1.0
#: History and ledger calls cost more. docs.kraken.com/exchange/guides/rest/ratelimits and
#: Kraken's kraken-cli skill say +2; the api/docs page (crawled 2026-05-27) says +4. We use +2
#: and make it configurable (``costs=``, or ``KRAKEN_HISTORY_CALL_COST`` via ``KrakenSettings``).
DEFAULT_HISTORY_COST = 2.0
HISTORY_METHODS = ("Ledgers", "TradesHistory", "QueryLedgers")
#: Seconds of decay kept below each limit by default (see ``KrakenRateLimits``).
DEFAULT_SAFETY_MARGIN = 0.1
#: Calls that count on the per-pair trading counter, not the REST counter. Kraken's docs say so
#: for AddOrder and CancelOrder; ccxt weights the batch, edit and amend calls 0 too (unverified
#: in Kraken's docs). CancelAll and CancelAllOrdersAfter are kept on the REST counter (+1): no
#: source says otherwise, and charging them is the safe side.
TRADING_COUNTER_METHODS = frozenset(
    {"AddOrder", "CancelOrder", "AddOrderBatch", "CancelOrderBatch", "EditOrder", "AmendOrder"}
)

#: Upper bounds (seconds, exclusive) of the order-age rows of Kraken's penalty table.
AGE_ROWS = (5.0, 10.0, 15.0, 45.0, 90.0, 300.0)
#: action -> (fixed cost, penalty per age row); https://docs.kraken.com/api/docs/guides/spot-ratelimits
TRADE_COSTS: Mapping[str, tuple[float, tuple[float, ...]]] = MappingProxyType(
    {
        "add": (1.0, (0, 0, 0, 0, 0, 0)),
        "amend": (1.0, (3, 2, 1, 0, 0, 0)),
        "edit": (1.0, (6, 5, 4, 2, 1, 0)),
        "cancel": (0.0, (8, 6, 5, 4, 2, 1)),
    }
)


def _age_penalty(penalties: tuple[float, ...], order_age: float | None) -> float:
    if order_age is None:
        return penalties[0]  # unknown age: charge the youngest row, the safe side
    if order_age < 0:
        raise ValueError(f"order_age must not be negative, got {order_age!r}")
    for bound, penalty in zip(AGE_ROWS, penalties, strict=True):
        if order_age < bound:
            return penalty
    return 0.0


def trading_cost(action: str, order_age: float | None = None, count: int = 1) -> float:
    """Return what one order call adds to Kraken's per-pair trading counter.

    Args:
        action: ``add``, ``amend``, ``edit``, ``cancel``, ``batch_add`` or ``batch_cancel``.
        order_age: seconds since the order was created or last amended (cancel, amend, edit,
            batch_cancel); ``None`` charges the youngest row (< 5 s).
        count: number of orders in a batch call.

    Returns:
        The counter increment, e.g. 8 for a cancel of an order under 5 s old.

    Raises:
        ValueError: unknown action, negative age or a count below 1.
    """
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count!r}")
    if action == "batch_add":
        return count / 2
    if action == "batch_cancel":
        return count * _age_penalty(TRADE_COSTS["cancel"][1], order_age)
    if action not in TRADE_COSTS:
        raise ValueError(
            f"unknown trading action {action!r}; expected one of {get_args(TradeAction)}"
        )
    fixed, penalties = TRADE_COSTS[action]
    return fixed + _age_penalty(penalties, order_age)
