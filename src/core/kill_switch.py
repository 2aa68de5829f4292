"""Kill switch: once tripped (by a risk limit, a signal or a file) no new order is accepted."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)


class KillSwitch:
    """A latch that refuses new orders once tripped; only a restart (after review) clears it.

    Args:
        file_path: if given, the switch trips when this file exists (``touch KILL``), checked by
            ``poll()``; a way to stop a bot on a remote box without a shell into its process.
    """

    def __init__(self, file_path: Path | None = None) -> None:
        self.file_path = file_path
        self.reason: str | None = None

    @property
    def tripped(self) -> bool:
        """Return True once the switch has been tripped, for the rest of the process."""
        return self.reason is not None

    def trip(self, reason: str) -> bool:
        """Trip the switch; return True the first time (later reasons are logged, not kept)."""
        if self.reason is not None:
            return False
        self.reason = reason
        log.error("kill_switch.tripped", reason=reason)
        return True

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
