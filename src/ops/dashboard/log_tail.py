"""The last log lines, kept in memory for the dashboard (redacted like every other log line)."""

from __future__ import annotations

import logging
from collections import deque

from src.utils.logging import redact_text


class LogTail(logging.Handler):
    """A logging handler that keeps the newest ``keep`` formatted lines.

    It formats with the root handler's formatter when there is one (the structlog
    ``ProcessorFormatter`` of ``src.utils.logging``, which redacts secret fields), and passes
    every line through ``redact_text`` as well, so a registered secret never reaches a page.

    Args:
        keep: lines kept.
        level: the least level kept (default INFO).
    """

    def __init__(self, keep: int = 200, level: int = logging.INFO) -> None:
        super().__init__(level)
        self.lines: deque[str] = deque(maxlen=keep)

    def emit(self, record: logging.LogRecord) -> None:
        """Format and keep one record (never raises: logging must not fail the bot)."""
        try:
            self.lines.append(redact_text(self.format(record)))
        except Exception:  # logging's own contract: report, never raise
            self.handleError(record)

    def attach(self, logger: logging.Logger | None = None) -> None:
        """Start collecting from ``logger`` (default the root logger)."""
        target = logger or logging.getLogger()
        if self.formatter is None:
            shared = next((h.formatter for h in target.handlers if h.formatter), None)
            self.setFormatter(shared or logging.Formatter("%(levelname)s %(name)s %(message)s"))
        target.addHandler(self)

    def detach(self, logger: logging.Logger | None = None) -> None:
        """Stop collecting from ``logger`` (default the root logger)."""
        (logger or logging.getLogger()).removeHandler(self)

    def tail(self, count: int = 50) -> list[str]:
        """Return the newest ``count`` lines, oldest first."""
        return list(self.lines)[-count:]
