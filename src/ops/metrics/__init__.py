"""Prometheus metrics of a running session: its own registry, sampled, served on /metrics."""

from src.ops.metrics.config import MetricsConfig
from src.ops.metrics.families import RuntimeMetrics
from src.ops.metrics.service import RuntimeExporter, metrics_service

__all__ = ["MetricsConfig", "RuntimeExporter", "RuntimeMetrics", "metrics_service"]
