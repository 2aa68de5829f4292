"""The command-line switches of the operator services (argparse only: ``--help`` stays fast)."""

from __future__ import annotations

import argparse


def add_ops_arguments(parser: argparse.ArgumentParser) -> None:
    """``--dashboard``/``--no-dashboard`` and ``--metrics``/``--no-metrics`` (default: config)."""
    group = parser.add_argument_group("watching the bot (docs/operations.md)")
    group.add_argument(
        "--dashboard",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="serve the web dashboard on 127.0.0.1 (default on; port KTRADE_DASHBOARD_PORT)",
    )
    group.add_argument(
        "--metrics",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="serve Prometheus /metrics on 127.0.0.1 (default on; port KTRADE_METRICS_PORT)",
    )
