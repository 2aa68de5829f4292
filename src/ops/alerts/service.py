"""``alerts_service(config)``: the session service that watches a runtime and sends alerts.

Entered around ``runtime.run`` (``SessionPlan.services``). It looks at the runtime every
``check_seconds``, passes what it finds through the limiter and delivers it with apprise, in
its own task: a slow phone service never delays an order. Without URLs it does nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from types import TracebackType
from typing import Self

from src.core.runtime import TradingRuntime
from src.ops.alerts.alert import Alert
from src.ops.alerts.config import AlertsConfig
from src.ops.alerts.limiter import AlertLimiter
from src.ops.alerts.notifier import AppriseNotifier
from src.ops.alerts.rules import AlertRules
from src.utils.logging import get_logger
from src.utils.periodic import start_periodic, stop_task

log = get_logger(__name__)


class RuntimeAlerts:
    """Watches ``runtime`` and delivers its alerts while entered.

    Args:
        runtime: the session's runtime.
        config: URLs, events, thresholds and limits.
        monotonic: the limiter's clock. Real time by default, not the runtime's clock: a
            replay running 3600 times faster must not let 3600 times more messages out.
    """

    def __init__(
        self,
        runtime: TradingRuntime,
        config: AlertsConfig | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.runtime = runtime
        self.config = config or AlertsConfig()
        self.limiter = AlertLimiter(
            self.config.cooldown_seconds, self.config.max_per_minute, monotonic
        )
        self.rules: AlertRules | None = None
        self.notifier: AppriseNotifier | None = None
        self.delivered: list[Alert] = []
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        if not self.config.urls:
            log.info("alerts.off", why="no URLs configured")
            return self
        self.notifier = await AppriseNotifier.create(
            self.config.urls, self.config.send_timeout_seconds
        )
        self.rules = AlertRules(self.runtime, self.config)
        self._task = start_periodic(self.check, self.config.check_seconds, name="alerts")
        log.info("alerts.on", destinations=len(self.config.urls), events=self.config.events)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        task, self._task = self._task, None
        await stop_task(task)
        if self.rules is None:
            return
        await self.check()  # the last step's news (a kill switch tripped while stopping)
        if self.config.session_summary and self.config.wants("daily_pnl"):
            await self._deliver(self.rules.summary("session ended"))
        summary = self.limiter.summary(self.config.title_prefix, force=True)
        if summary is not None:
            await self._deliver(summary)

    async def check(self) -> None:
        """Look at the runtime once and deliver what is due (and a summary of what was held)."""
        if self.rules is None:
            return
        try:
            alerts = self.rules.check()
        except Exception as exc:  # an alerting bug must not stop a trading session
            log.warning("alerts.check_failed", error=f"{type(exc).__name__}: {exc}")
            return
        for alert in alerts:
            if self.limiter.offer(alert):
                await self._deliver(alert)
        summary = self.limiter.summary(self.config.title_prefix)
        if summary is not None:
            await self._deliver(summary)

    async def _deliver(self, alert: Alert) -> None:
        if self.notifier is not None and await self.notifier.send(alert):
            self.delivered.append(alert)


def alerts_service(
    config: AlertsConfig | None = None,
) -> Callable[[TradingRuntime], RuntimeAlerts]:
    """A ``SessionPlan.services`` factory: ``factory(runtime)`` is the alerter to enter.

    Args:
        config: defaults to ``AlertsConfig.load()`` (the config file's ``[alerts]`` table and
            ``KTRADE_ALERT_*``), read when the factory is called.
    """

    def factory(runtime: TradingRuntime) -> RuntimeAlerts:
        return RuntimeAlerts(runtime, config or AlertsConfig.load())

    return factory
