"""Delivery through apprise: one library for Telegram, Slack, Discord, e-mail and webhooks."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import apprise
from pydantic import SecretStr

from src.core.errors import ConfigurationError
from src.ops.alerts.alert import Alert
from src.utils.logging import get_logger, register_secret

log = get_logger(__name__)


class AppriseNotifier:
    """Sends alerts to every configured URL.

    Build it with :meth:`create` (apprise loads its plugins on first use, ~1 s, so that runs in
    a thread, off the trading loop). The URLs are registered as secrets: the logs never show
    them, and neither does any error here (a bad URL is named by its position).

    Args:
        urls: apprise URLs.
        timeout: seconds a delivery may take.
    """

    def __init__(self, urls: Sequence[SecretStr], timeout: float = 15.0) -> None:
        self.timeout = timeout
        self.apprise = apprise.Apprise()
        for number, url in enumerate(urls, 1):
            text = url.get_secret_value()
            register_secret(text)
            if not self.apprise.add(text):
                raise ConfigurationError(
                    f"alerts: URL number {number} is not one apprise understands "
                    "(see https://github.com/caronc/apprise/wiki for each service's form)"
                )
        self.sent = 0
        self.failed = 0

    @classmethod
    async def create(cls, urls: Sequence[SecretStr], timeout: float = 15.0) -> AppriseNotifier:
        """Build the notifier in a worker thread.

        Raises:
            ConfigurationError: a URL apprise cannot parse.
        """
        return await asyncio.to_thread(cls, urls, timeout)

    async def send(self, alert: Alert) -> bool:
        """Deliver one alert to every URL; False (logged, not raised) if any delivery failed."""
        try:
            async with asyncio.timeout(self.timeout):
                ok = bool(
                    await self.apprise.async_notify(
                        body=alert.body,
                        title=alert.title,
                        notify_type=apprise.NotifyType(alert.level.value),
                    )
                )
        except TimeoutError:
            ok = False
        if ok:
            self.sent += 1
        else:
            self.failed += 1
            # "alert", not "key": the log masks any field named like a credential
            log.warning("alerts.delivery_failed", alert=alert.key, title=alert.title)
        return ok
