"""Fault knobs for tests: lost replies, 5xx, latency, dropped WebSockets, book sequence gaps."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FuturesFaults"]


@dataclass
class FuturesFaults:
    """Changeable while the venue runs.

    Attributes:
        lost_reply_next: the next N order calls (send, edit, cancel, batch) take effect, then
            the connection is cut before the reply (the client cannot know the outcome).
        server_error_next: the next N private calls answer HTTP 500 without doing anything.
        latency: seconds every REST reply is held back.
        drop_private_ws: close every private WebSocket session now and refuse new private
            subscriptions while True.
        book_gap_next: the next N book deltas skip a sequence number.
    """

    lost_reply_next: int = 0
    server_error_next: int = 0
    latency: float = 0.0
    drop_private_ws: bool = False
    book_gap_next: int = 0

    def take(self, name: str) -> bool:
        """Consume one shot of a counted fault; True when it fires."""
        left = int(getattr(self, name))
        if left > 0:
            setattr(self, name, left - 1)
            return True
        return False
