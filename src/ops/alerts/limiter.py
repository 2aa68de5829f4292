"""Rate limiting and de-duplication, so an outage cannot flood a phone.

Three rules: a key already sent within the cooldown is held back; no more than
``max_per_minute`` messages leave in any 60 seconds; whatever was held back is counted and
sent as one summary once the oldest of it has waited the cooldown (at least a minute) and the
cap has room, so nothing disappears silently and a storm costs one message per cooldown.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable

from src.ops.alerts.alert import Alert, Level

WINDOW = 60.0


class AlertLimiter:
    """Decides which alerts go out now.

    Args:
        cooldown: seconds before the same key may be sent again.
        max_per_minute: messages allowed in any 60 s window, summaries included.
        monotonic: the time source (seconds).
    """

    def __init__(
        self, cooldown: float, max_per_minute: int, monotonic: Callable[[], float]
    ) -> None:
        self.cooldown, self.max_per_minute, self.monotonic = cooldown, max_per_minute, monotonic
        self.held: Counter[str] = Counter()
        self._held_since: float | None = None
        self._last: dict[str, float] = {}
        self._sent: deque[float] = deque()

    def _room(self, now: float) -> bool:
        while self._sent and now - self._sent[0] >= WINDOW:
            self._sent.popleft()
        return len(self._sent) < self.max_per_minute

    def offer(self, alert: Alert) -> bool:
        """Return True if ``alert`` may be sent now (and count it as sent); else hold it."""
        now = self.monotonic()
        last = self._last.get(alert.key)
        if (last is not None and now - last < self.cooldown) or not self._room(now):
            self.held[alert.key] += 1
            if self._held_since is None:
                self._held_since = now
            return False
        self._last[alert.key] = now
        self._sent.append(now)
        return True

    def summary(self, title_prefix: str, *, force: bool = False) -> Alert | None:
        """One alert listing what was held back, when due (or ``force``: at the session's end).

        Due once the oldest held alert has waited the cooldown (at least a minute), and only
        while the cap has room.
        """
        now = self.monotonic()
        if not self.held or not self._room(now):
            return None
        waited = now - (self._held_since if self._held_since is not None else now)
        if not force and waited < max(self.cooldown, WINDOW):
            return None
        total = sum(self.held.values())
        lines = [f"{count} x {key}" for key, count in self.held.most_common(10)]
        if len(self.held) > 10:
            lines.append(f"... and {len(self.held) - 10} more kinds")
        self.held.clear()
        self._held_since = None
        self._sent.append(now)
        return Alert(
            "suppressed",
            f"{title_prefix}: {total} alert(s) held back",
            "Repeats within the cooldown or over the per-minute cap:\n" + "\n".join(lines),
            Level.WARNING,
        )
