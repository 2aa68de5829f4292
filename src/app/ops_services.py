"""What a session serves beside its runtime for the person watching it: dashboard, metrics, alerts.

Chosen once, before anything connects, from three sources, each overriding the one before:
the config file's ``[dashboard]``, ``[metrics]`` and ``[alerts]`` tables, the environment
(``KTRADE_DASHBOARD_*``, ``KTRADE_METRICS_*``, ``KTRADE_ALERT_*``; ``.env`` too), and the
command line (``--dashboard``/``--no-dashboard``, ``--metrics``/``--no-metrics``). The
dashboard and ``/metrics`` are on by default and listen on 127.0.0.1 only; alerts go out
when the config names at least one destination. ``docs/operations.md`` shows each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from src.app.trading_session import Service
from src.ops.alerts.config import AlertsConfig
from src.ops.dashboard.settings import DashboardSettings
from src.ops.metrics.config import MetricsConfig, read_config_tables

if TYPE_CHECKING:
    from src.ops.control import RiskSource

#: The config file's tables this module reads.
TABLES = ("dashboard", "metrics", "alerts")


@dataclass(frozen=True)
class OpsPlan:
    """The operator services of one session (None: that one is off).

    Attributes:
        dashboard: where the dashboard listens and who may log in.
        metrics: where ``/metrics`` is served.
        alerts: where alerts go (None without a destination).
    """

    dashboard: DashboardSettings | None = None
    metrics: MetricsConfig | None = None
    alerts: AlertsConfig | None = None

    def services(self, risk_config: RiskSource | None = None) -> list[Service]:
        """The ``SessionPlan.services`` factories, dashboard first (its audit hooks see all).

        Args:
            risk_config: where the session read its risk limits (a TOML file, or a loader),
                which the dashboard's "reload risk config" reads again (unless
                ``[dashboard] risk_config`` names a file).
        """
        found: list[Service] = []
        if self.dashboard is not None:
            from src.ops.dashboard.service import dashboard_service

            found.append(dashboard_service(self.dashboard, risk_config=risk_config))
        if self.metrics is not None:
            from src.ops.metrics.service import metrics_service

            found.append(metrics_service(self.metrics))
        if self.alerts is not None:
            from src.ops.alerts.service import alerts_service

            found.append(alerts_service(self.alerts))
        return found

    def lines(self) -> list[str]:
        """One plain line per service, for the session banner (never a secret)."""
        if self.dashboard is None:
            board = "off (--dashboard to serve it)"
        else:
            board = _where(self.dashboard.host, self.dashboard.port, "/", "printed below")
            who = "password or token" if self.dashboard.password else "token printed below"
            board += f" (log in with the {who})"
        if self.metrics is None:
            metrics = "off (--metrics to serve them)"
        else:
            metrics = _where(self.metrics.host, self.metrics.port, "/metrics", "in the log")
        if self.alerts is None:
            alerts = "off (no destination: [alerts] urls or KTRADE_ALERT_URLS)"
        else:
            kinds = sorted({u.get_secret_value().split(":", 1)[0] for u in self.alerts.urls})
            alerts = f"{len(self.alerts.urls)} destination(s) ({', '.join(kinds)})"
        return [f"dashboard  {board}", f"metrics    {metrics}", f"alerts     {alerts}"]


def ops_plan(
    mode: str,
    *,
    dashboard: bool | None = None,
    metrics: bool | None = None,
    tables: Mapping[str, Mapping[str, Any]] | None = None,
) -> OpsPlan:
    """The services ``mode``'s session runs with.

    Args:
        mode: paper, mirror or live (the metrics' ``mode`` label unless one is configured).
        dashboard: the command line's choice (None: the config's ``enabled``, default on).
        metrics: likewise for ``/metrics``.
        tables: the config file's tables by name; None reads them from the user's config
            file (``ktrade`` passes what it already read, so the file is read once).

    Raises:
        ConfigurationError: an unknown key or a bad value in a table or the environment, or
            a dashboard on a public address without a password.
    """
    found = tables if tables is not None else read_config_tables(TABLES)
    board: DashboardSettings = DashboardSettings.from_table(
        dict(found.get("dashboard", {})), "dashboard"
    )
    exporter: MetricsConfig = MetricsConfig.from_table(dict(found.get("metrics", {})), "metrics")
    if exporter.mode is None:
        exporter = exporter.model_copy(update={"mode": mode})
    alerts: AlertsConfig = AlertsConfig.from_table(dict(found.get("alerts", {})), "alerts")
    # A flag overrides the config's ``enabled`` in the settings handed on too: the exporter
    # reads ``enabled`` again and would otherwise sample without serving after ``--metrics``.
    if dashboard is not None:
        board = board.model_copy(update={"enabled": dashboard})
    if metrics is not None:
        exporter = exporter.model_copy(update={"enabled": metrics})
    return OpsPlan(
        dashboard=board if board.enabled else None,
        metrics=exporter if exporter.enabled else None,
        alerts=alerts if alerts.urls else None,
    )


def _where(host: str, port: int, path: str, told: str) -> str:
    # Port 0 asks the OS for a free one: the real URL is known only once it listens.
    return f"http://{host}:{port}{path}" if port else f"{host}, a free port (URL {told})"
