"""Kill switch: once tripped (by a risk limit, a signal or a file) no new order is accepted."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)


class KillFilePresentError(RuntimeError):
    """A reset was asked while the kill file still exists (it would trip again at once)."""


class KillSwitch:
    """A latch that refuses new orders once tripped, until a person resets it (or a restart).

    Args:
        file_path: if given, the switch trips when this file exists (``touch KILL``), checked by
            ``poll()``; a way to stop a bot on a remote box without a shell into its process.
    """

    def __init__(self, file_path: Path | None = None) -> None:
        self.file_path = file_path
        self.reason: str | None = None

    @property
    def tripped(self) -> bool:
        """Return True while the switch is tripped (from a trip until a reset)."""
        return self.reason is not None

    def trip(self, reason: str) -> bool:
        """Trip the switch; return True the first time (later reasons are logged, not kept)."""
        if self.reason is not None:
            return False
        self.reason = reason
        log.error("kill_switch.tripped", reason=reason)
        return True

    def reset(self) -> str | None:
        """Clear the switch after a person reviewed why it tripped; return the old reason.

        The runtime reacts to a trip once per process (it cancels and, if configured,
        flattens), so a trip after a reset is acted on by whoever trips it (the operator
        controls call ``TradingRuntime.kill`` themselves).

        Raises:
            KillFilePresentError: the kill file still exists; remove it first, or the next
                ``poll()`` trips the switch again.
        """
        if self.file_path is not None and self.file_path.exists():
            raise KillFilePresentError(f"remove the kill file {self.file_path} first")
        reason, self.reason = self.reason, None
        if reason is not None:
            log.warning("kill_switch.reset", previous_reason=reason)
        return reason

    def poll(self) -> bool:
        """Check the kill file; return True if the switch is (now) tripped."""
        if not self.tripped and self.file_path is not None and self.file_path.exists():
            self.trip(f"kill file {self.file_path} present")
        return self.tripped

    def install_signal_handler(
        self, loop: asyncio.AbstractEventLoop, sig: signal.Signals = signal.SIGUSR1
    ) -> None:
        """Trip on ``sig`` (default SIGUSR1: ``kill -USR1 <pid>``). POSIX only."""
        loop.add_signal_handler(sig, self.trip, f"signal {sig.name}")
