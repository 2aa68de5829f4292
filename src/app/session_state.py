"""What ``ktrade status`` reads of a running bot: its last status line and its kill switch.

The runtime keeps positions, orders and fills in its database; the status line and the kill
switch live only in the process. ``SessionState`` writes them beside the rest, in the store's
key/value table: the status line each time the runtime emits one (it is the runtime's status
sink), the kill switch within ``interval`` seconds of tripping (a SIGUSR1 trips it between two
steps), and the session's start and end, so a reader can tell a running bot from a stopped one.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from src.app.rest_budget import KeyValue
from src.core.execution import utc_now
from src.core.kill_switch import KillSwitch
from src.core.runtime import TradingRuntime
from src.utils.periodic import start_periodic, stop_task

STATUS_KEY = "status_line"
KILL_KEY = "kill_switch"
SESSION_KEY = "session"


class SessionState:
    """Records a session's status line, kill switch and lifetime in the runtime's database.

    Args:
        mode: paper, mirror or live (shown by ``status``).
        echo: where each status line also goes (the terminal).
        interval: seconds between checks of the kill switch while the session runs.
        now: the time stamped on each record (UTC).
    """

    def __init__(
        self,
        mode: str,
        echo: Callable[[str], None] | None = None,
        *,
        interval: float = 1.0,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.mode, self.echo, self.interval, self.now = mode, echo, interval, now
        self.store: KeyValue | None = None
        self.kill_switch: KillSwitch | None = None
        self._saved_reason: str | None = None

    def attach(self, store: KeyValue, kill_switch: KillSwitch) -> None:
        """Start recording into ``store``; forget a kill switch recorded by an earlier session.

        A restart is what clears a tripped kill switch (``KillSwitch``): the new process's
        switch is not tripped, and the database must not say it is.
        """
        self.store, self.kill_switch = store, kill_switch
        store.put(KILL_KEY, None)
        self._saved_reason = None

    def sink(self, line: str) -> None:
        """The runtime's status sink: show ``line``, then record it and the kill switch."""
        if self.echo is not None:
            self.echo(line)
        if self.store is not None:
            self.store.put(STATUS_KEY, {"line": line, "at": self.now().isoformat()})
            self.save_kill()

    def save_kill(self) -> None:
        """Record the kill switch's reason and when it was first seen tripped (once)."""
        switch = self.kill_switch
        if self.store is None or switch is None or switch.reason == self._saved_reason:
            return
        self._saved_reason = switch.reason
        self.store.put(KILL_KEY, {"reason": switch.reason, "at": self.now().isoformat()})

    def _session(self, **fields: Any) -> None:
        if self.store is not None:
            record = self.store.get(SESSION_KEY) or {}
            self.store.put(SESSION_KEY, {**record, **fields})

    @contextlib.asynccontextmanager
    async def service(self, runtime: TradingRuntime) -> AsyncIterator[object]:
        """A session service: records the start, checks the kill switch, records the end."""
        if self.store is None:
            self.attach(runtime.store, runtime.risk.kill_switch)
        started = self.now().isoformat()
        self._session(mode=self.mode, pid=os.getpid(), started=started, ended=None)
        task = start_periodic(self.save_kill, self.interval, name="session_state")
        try:
            yield self
        finally:
            await stop_task(task)
            self.save_kill()
            self._session(ended=self.now().isoformat())
