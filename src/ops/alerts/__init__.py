"""Alerts of a running session through apprise, rate-limited and de-duplicated."""

from src.ops.alerts.alert import Alert, Level
from src.ops.alerts.config import EVENTS, AlertsConfig
from src.ops.alerts.limiter import AlertLimiter
from src.ops.alerts.service import RuntimeAlerts, alerts_service

__all__ = ["EVENTS", "Alert", "AlertLimiter", "AlertsConfig", "Level", "RuntimeAlerts",
           "alerts_service"]  # fmt: skip
