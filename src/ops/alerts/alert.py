"""One alert: a de-duplication key, a level, a title and a body with no secret in it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from src.utils.logging import redact_text


class Level(StrEnum):
    """How bad it is (apprise's notification types)."""

    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    FAILURE = "failure"


@dataclass(frozen=True)
class Alert:
    """A message for the operator.

    Attributes:
        key: the condition it reports (``kill_switch``, ``rejected:BTC/USD``...): the same key
            within the cooldown is a repeat, not news.
        title: one line.
        body: the details (reasons and numbers; never a key, token or URL).
        level: how bad it is.
    """

    key: str
    title: str
    body: str
    level: Level = Level.INFO

    def redacted(self) -> Alert:
        """The alert with every registered secret masked (an error text may quote one)."""
        return Alert(self.key, redact_text(self.title), redact_text(self.body), self.level)
