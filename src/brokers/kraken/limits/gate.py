"""The rate-limit gate the REST adapter asks before every call, and a gate that never waits."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from src.core.errors import RateLimitError

TRADE_ACTIONS = frozenset({"add", "amend", "edit", "cancel", "batch_add", "batch_cancel"})


@runtime_checkable
class RequestGate(Protocol):
    """Decides whether a request may be sent now; told about venue limits and order lifetimes.

    ``before_rest`` and ``before_trade`` either return (maybe after waiting) or raise
    ``LocalRateLimitError``; nothing is sent when they raise.
    """

    async def before_rest(self, method: str) -> None:
        """Called before a non-order REST call, e.g. ``"Balance"`` or ``"TradesHistory"``."""
        ...

    async def before_trade(
        self,
        pair: str,
        action: str,
        order_age: float | None = None,
        count: int = 1,
        open_orders: int = 0,
    ) -> None:
        """Called before an order call; ``pair`` is Kraken's altname (``"XBTUSD"``).

        ``open_orders`` is how many orders the adapter's open-order registry holds on the
        pair (the gate keeps no order state of its own).
        """
        ...

    def on_rate_limited(self, error: RateLimitError, pair: str | None = None) -> None:
        """The venue answered with a rate-limit error."""
        ...


class NullGate:
    """A gate that lets everything through at once (the default when none is given)."""

    async def before_rest(self, method: str) -> None:
        """Never waits."""

    async def before_trade(
        self,
        pair: str,
        action: str,
        order_age: float | None = None,
        count: int = 1,
        open_orders: int = 0,
    ) -> None:
        """Never waits."""

    def on_rate_limited(self, error: RateLimitError, pair: str | None = None) -> None:
        """Ignored."""
