"""The dashboard as a session service: started around ``runtime.run``, stopped after it.

``dashboard_service(settings)`` returns the factory a session plan takes
(``Callable[[TradingRuntime], AbstractAsyncContextManager]``). Entering it serves the page,
hooks the audit log into the runtime's risk decisions, writes the control file the CLI uses,
and prints the URL (and a generated token, once); leaving it undoes all of that.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from types import TracebackType

import structlog
from aiohttp import web
from pydantic import SecretStr

from src.core.errors import ConfigurationError
from src.core.runtime import TradingRuntime
from src.ops.audit import AuditKind, AuditLog
from src.ops.control import OperatorControls, RiskSource
from src.ops.dashboard.auth import Auth, new_token
from src.ops.dashboard.control_file import ControlFile, control_file_for
from src.ops.dashboard.log_tail import LogTail
from src.ops.dashboard.monitor import Monitor
from src.ops.dashboard.server import DashboardApp
from src.ops.dashboard.settings import DashboardSettings, is_loopback
from src.ops.dashboard.snapshot import FillReader, View, endpoint_of, mode_of
from src.utils.logging import register_secret
from src.utils.periodic import stop_task

log = structlog.get_logger(__name__)


def _shout(text: str) -> None:
    """Show the URL where the person starting the bot looks (the terminal, not the log)."""
    print(text, file=sys.stderr, flush=True)


class Dashboard(AbstractAsyncContextManager["Dashboard"]):
    """One runtime's dashboard, served while the context is entered.

    Args:
        runtime: the bot shown and controlled.
        settings: where to listen, secrets, timings.
        announce: receives the one line with the URL and a generated token (default:
            stderr). It is never logged.

    Attributes:
        url: ``http://host:port`` once entered.
        token: the access token (generated unless configured).
        controls: the operator controls (also usable in-process).
        audit: the audit log.
        control_file: where the URL and token were written for the CLI (None: in-memory DB).
    """

    def __init__(
        self,
        runtime: TradingRuntime,
        settings: DashboardSettings,
        *,
        announce: Callable[[str], None] | None = None,
        risk_config: RiskSource | None = None,
    ) -> None:
        self.runtime, self.settings = runtime, settings
        self.announce = announce or _shout
        self.token: SecretStr = settings.token or new_token()
        self.url = ""
        self.audit = AuditLog(runtime.store.path)
        self.monitor = Monitor(runtime, settings.history)
        self.controls = OperatorControls(
            runtime, self.audit, risk_config=settings.risk_config or risk_config
        )
        self.log_tail = LogTail()
        self.fills = FillReader(runtime.store.path)
        self.control_file: Path | None = None
        self._record: ControlFile | None = None
        self._runner: web.AppRunner | None = None
        self._sampler: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Dashboard:
        """Serve the dashboard; return self with ``url`` set."""
        settings, runtime = self.settings, self.runtime
        register_secret(self.token.get_secret_value())
        if settings.password is not None:
            register_secret(settings.password.get_secret_value())
        endpoint = endpoint_of(runtime)
        view = View(
            runtime,
            self.monitor,
            self.audit,
            self.log_tail,
            mode_of(endpoint, settings.mode),
            endpoint,
        )
        auth = Auth(self.token, settings.password, session_seconds=settings.session_hours * 3600)
        app = DashboardApp(view, self.fills, self.controls, auth, settings).build()
        self._runner = web.AppRunner(app, access_log=None)  # request lines are noise here
        await self._runner.setup()
        try:
            site = web.TCPSite(self._runner, settings.host, settings.port)
            await site.start()
        except OSError as exc:  # before trading starts: one line with the fix, nothing sent
            await self._runner.cleanup()
            raise ConfigurationError(
                f"dashboard: cannot listen on {settings.host}:{settings.port} "
                f"({exc.strerror or exc}); another bot may hold the port: set "
                f"KTRADE_DASHBOARD_PORT (0 picks a free one) or run with --no-dashboard"
            ) from None
        except BaseException:
            await self._runner.cleanup()
            raise
        port = self._runner.addresses[0][1]
        host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
        self.url = f"http://{host}:{port}"
        self.controls.restore()
        runtime.risk.add_listener(self.audit.decision)
        runtime.risk.add_listener(self.monitor.on_decision)
        self.log_tail.attach()
        self._sampler = asyncio.create_task(self.monitor.run(settings.sample_seconds))
        self._write_control_file()
        self.audit.record(
            AuditKind.CONFIG,
            "system",
            "dashboard_started",
            detail={
                "url": self.url,
                "mode": view.mode,
                "endpoint": endpoint,
                "loopback_only": is_loopback(settings.host),
                "risk_limits": runtime.risk.limits.describe(),
            },
        )
        log.info("dashboard.started", url=self.url, mode=view.mode)
        shown = "(configured)" if settings.token else self.token.get_secret_value()
        self.announce(f"dashboard: {self.url}/  token: {shown}")
        return self

    def _write_control_file(self) -> None:
        if self.runtime.store.path == ":memory:":
            return
        self.control_file = control_file_for(self.runtime.store.path)
        self._record = ControlFile(self.url, self.token, os.getpid())
        self._record.write(self.control_file)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop serving and unhook everything; the audit rows stay in the database."""
        await stop_task(self._sampler)
        if self._record is not None and self.control_file is not None:
            self._record.remove(self.control_file)
        self.runtime.risk.remove_listener(self.audit.decision)
        self.runtime.risk.remove_listener(self.monitor.on_decision)
        self.log_tail.detach()
        if self._runner is not None:
            await self._runner.cleanup()
        self.audit.record(AuditKind.CONFIG, "system", "dashboard_stopped", detail={"url": self.url})
        self.fills.close()
        self.audit.close()


def dashboard_service(
    settings: DashboardSettings | None = None,
    *,
    announce: Callable[[str], None] | None = None,
    risk_config: RiskSource | None = None,
) -> Callable[[TradingRuntime], AbstractAsyncContextManager[Dashboard]]:
    """Return the session-service factory that serves a runtime's dashboard.

    Args:
        settings: the dashboard's settings (default: from ``KTRADE_DASHBOARD_*``).
        announce: where the URL and a generated token are shown once (default: stderr).
        risk_config: what "reload risk config" reads when ``settings.risk_config`` is unset
            (the session's own limits file or loader).
    """

    def start(runtime: TradingRuntime) -> Dashboard:
        return Dashboard(
            runtime, settings or DashboardSettings(), announce=announce, risk_config=risk_config
        )

    return start
