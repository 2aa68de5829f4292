"""The one lost-reply policy: what became of an order whose answer never came back.

A timeout, a dropped connection or a 5xx after an order request leaves its outcome unknown:
the venue may hold it or may never have seen it. Re-sending could double it, so it is looked
up by client order id instead. A miss right after sending proves nothing (venues publish new
orders with a lag), so a miss leaves the order UNKNOWN; only once the grace period has passed
since it was sent, and the venue never acknowledged it, is it declared never accepted. Every
adapter (Kraken over REST and WebSocket, Alpaca) and the order manager use this module.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from src.core.clock import Clock
from src.core.errors import BrokerError
from src.core.execution import Order, OrderAck, OrderStatus, OrderUpdate

__all__ = ["FindOrder", "LostReplyPolicy", "OutcomeResolver", "Resolution"]

log = structlog.get_logger(__name__)

FindOrder = Callable[[str], Awaitable[OrderUpdate | None]]
"""Look an order up at the venue by client order id (None: the venue does not know it)."""
SeenOrder = Callable[[str], OrderUpdate | None]
"""What a local stream already saw of an order, by client order id (no round trip)."""


@dataclass(frozen=True)
class LostReplyPolicy:
    """How long to look, and when a miss may be believed.

    Attributes:
        grace_seconds: a never-acknowledged order the venue still does not know this long
            after it was sent is declared REJECTED (never accepted); before that, UNKNOWN.
        lookups: how many times an adapter asks right after losing the reply.
        first_delay: seconds before the second lookup; each further one waits twice as long.
    """

    grace_seconds: float = 30.0
    lookups: int = 3
    first_delay: float = 0.25

    def after_miss(self, *, sent_at: datetime, now: datetime, acknowledged: bool) -> OrderStatus:
        """The status of an order the venue does not list: UNKNOWN unless grace is over.

        An order the venue acknowledged once and now does not list is never guessed at: it
        stays UNKNOWN for a person (or a later report) to settle.
        """
        if acknowledged or now - sent_at < timedelta(seconds=self.grace_seconds):
            return OrderStatus.UNKNOWN
        return OrderStatus.REJECTED


@dataclass(frozen=True)
class Resolution:
    """What the lookups found: the venue's view of the order, or why it is still unknown."""

    client_order_id: str
    found: OrderUpdate | None
    message: str

    @property
    def status(self) -> OrderStatus:
        """The venue's status of the order, or UNKNOWN when it was not found."""
        return OrderStatus.UNKNOWN if self.found is None else self.found.status

    def ack(self, order: Order, symbol: str) -> OrderAck:
        """The ack an adapter returns for the order (UNKNOWN keeps the explanation)."""
        found = self.found
        return OrderAck(
            client_order_id=order.client_order_id,
            order_id=None if found is None else found.order_id,
            symbol=symbol,
            status=self.status,
            message=None if found is not None else self.message,
            raw={} if found is None else dict(found.raw),
        )


class OutcomeResolver:
    """Resolves lost replies by client order id, never by re-sending.

    Args:
        find: the venue lookup (REST, say ``KrakenAdapter.find_order``).
        clock: sleeps between lookups.
        policy: lookups and grace period.
        seen: an optional local view (a private stream's executions) consulted first.
    """

    def __init__(
        self,
        find: FindOrder | None,
        clock: Clock,
        policy: LostReplyPolicy | None = None,
        seen: SeenOrder | None = None,
    ) -> None:
        self._find = find
        self._clock = clock
        self.policy = policy or LostReplyPolicy()
        self._seen = seen

    async def resolve(self, client_order_id: str, cause: BrokerError) -> Resolution:
        """Look the order up (stream first, then the venue, a few times with backoff).

        Returns:
            The order as the venue reports it, or an unresolved ``Resolution`` whose message
            says the outcome is unknown and the order must not be re-sent.
        """
        log.warning("order.outcome_unknown", client_order_id=client_order_id, error=str(cause))
        failure = "not found yet"
        delay = self.policy.first_delay
        for attempt in range(max(1, self.policy.lookups)):
            if attempt:
                await self._clock.sleep(delay)
                delay *= 2
            found = self._seen(client_order_id) if self._seen is not None else None
            if found is None and self._find is not None:
                try:
                    found = await self._find(client_order_id)
                except BrokerError as lookup:
                    failure = f"lookup failed: {lookup}"
                    continue
                failure = "not found yet"
            if found is not None:
                return Resolution(client_order_id, found, "found by client order id")
        message = (
            f"order {client_order_id} outcome unknown ({cause}); {failure}. Do not re-send: "
            "it is looked up again by client order id until the venue can say"
        )
        return Resolution(client_order_id, None, message)
