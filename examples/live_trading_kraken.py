"""Trade on Kraken through the trading runtime: paper by default, live only when asked twice.

    python examples/live_trading_kraken.py                    # paper: local exchange, replayed data
    python examples/live_trading_kraken.py --mirror           # paper on Kraken's live public prices
    python examples/live_trading_kraken.py --live             # real money (asks for confirmation)

Ctrl-C cancels open orders, saves state and exits; ``touch KILL`` or ``kill -USR1 <pid>`` trips
the kill switch (cancel everything, refuse new orders). Logs: ``logs/``.

The session itself lives in the package (``src/app/trading_session.py`` and its neighbours),
so ``ktrade paper``/``live`` run the same code from an installed wheel; this file is the
command line around it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from decimal import Decimal
from pathlib import Path

from src.app.logs import setup_logs
from src.app.operator import BANNERS, banner, confirm_live, live_venue_line
from src.app.ops_options import add_ops_arguments
from src.app.ops_services import ops_plan
from src.app.paths import DEFAULT_RISK_CONFIG
from src.app.preflight import preflight
from src.app.session import live_venue, paper_speed, paper_venue
from src.app.strategy_choice import make_strategy
from src.app.trading_session import (
    SessionPlan,
    install_signals,
    plan_session,
    print_status,
    trade,
)
from src.brokers.credentials import BrokerCredentials
from src.brokers.kraken.settings import KrakenSettings
from src.core.errors import ConfigurationError
from src.core.risk import RiskLimits

__all__ = [
    "BANNERS",
    "SessionPlan",
    "banner",
    "confirm_live",
    "install_signals",
    "main",
    "make_strategy",
    "parse_args",
    "plan_session",
    "preflight",
    "print_status",
    "setup_logs",
    "trade",
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line (``argv`` defaults to ``sys.argv[1:]``)."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--live", action="store_true", help="trade on Kraken with real money")
    p.add_argument("--yes", action="store_true", help="skip the typed confirmation (--live)")
    p.add_argument("--mirror", action="store_true", help="paper on Kraken's live public prices")
    p.add_argument("--duration", type=float, default=None, help="stop after SECONDS")
    p.add_argument("--symbols", nargs="+", default=["BTC/USD", "ETH/USD"])
    p.add_argument("--strategy", choices=["ma", "model"], default="ma")
    p.add_argument("--model-name", default="kraken-signal", help="MLflow registered model")
    p.add_argument("--alias", default="champion", help="MLflow model alias")
    p.add_argument("--interval", type=int, default=60, help="candle minutes (ma strategy)")
    p.add_argument("--risk-config", type=Path, default=DEFAULT_RISK_CONFIG)
    p.add_argument("--capital-per-pair", type=Decimal, default=Decimal(200))
    p.add_argument("--db", type=Path, default=None, help="runtime database (per mode default)")
    p.add_argument(
        "--retrain-every",
        type=float,
        metavar="HOURS",
        help="--strategy model: retrain on a sliding window this often (gated, MLflow-tracked)",
    )
    p.add_argument("--retrain-window", type=float, metavar="HOURS", help="hours each retrain reads")
    add_ops_arguments(p)
    args = p.parse_args(argv)
    if args.retrain_every is not None or args.retrain_window is not None:
        _check_retraining(p, args)
    return args


def _check_retraining(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    # Refused here, before any venue opens, rather than when the session builds its strategy.
    from src.ml.config import DEFAULT_CONFIG_PATH, load_config
    from src.ml.retraining import hours_to_bars, minimum_window

    if args.strategy != "model" or args.retrain_every is None:
        p.error("--retrain-every (and --retrain-window) need --strategy model")
    if not args.retrain_every > 0 or not (args.retrain_window or 1) > 0:
        p.error("--retrain-every and --retrain-window take hours > 0")
    least = minimum_window(load_config(DEFAULT_CONFIG_PATH))
    if args.retrain_window is not None and hours_to_bars(args.retrain_window, 60) < least:
        p.error(f"--retrain-window: the experiment needs at least {least} hourly bars")


async def main(argv: list[str] | None = None) -> int:
    """Run the example: pick the venue, confirm a live session, trade, summarize.

    Returns:
        The process exit status (0 ok, 1 not confirmed, 2 configuration error).
    """
    args = parse_args(argv)
    mode = "live" if args.live else "mirror" if args.mirror else "paper"
    log_path = setup_logs(mode)
    banner(mode)
    print(f"structured log: {log_path}")
    try:
        limits = RiskLimits.from_toml(args.risk_config)
        # Read once, here, from the environment and .env, and handed to the venue: the tier,
        # URLs and rate-limit mode the user configured are the ones the session runs with.
        settings = KrakenSettings()
        ops = ops_plan(mode, dashboard=args.dashboard, metrics=args.metrics)
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        # Built before the venue: a paper replay runs at one of the strategy's candles a
        # second, and a model's interval is the one it was trained on, not --interval.
        strategy = make_strategy(args)
    except LookupError as exc:  # --strategy model with nothing trained yet
        print(f"error: {exc}; train one first: python examples/train_model.py", file=sys.stderr)
        return 2
    if mode == "live":
        creds = BrokerCredentials()
        if creds.kraken_api_key is None or creds.kraken_api_secret is None:
            print(
                "error: --live needs KRAKEN_API_KEY and KRAKEN_API_SECRET (.env)", file=sys.stderr
            )
            return 2
        # Shown before the confirmation: the user confirms this venue and these limits.
        print(live_venue_line(settings.api_url, settings.tier))
        if not confirm_live(limits, args.yes):
            print("Not confirmed; nothing was sent.")
            return 1
        venue_cm = live_venue(
            creds.kraken_api_key.get_secret_value(),
            creds.kraken_api_secret.get_secret_value(),
            settings=settings,
        )
    else:
        venue_cm = paper_venue(
            mirror=args.mirror, speed=paper_speed(strategy.interval_minutes), settings=settings
        )
    async with venue_cm as venue:
        services = ops.services(args.risk_config)
        plan = plan_session(args, venue, limits, services=services, strategy=strategy)
        print(*ops.lines(), sep="\n")
        try:
            return await trade(venue, plan)
        except ConfigurationError as exc:  # a service that cannot start (a port in use)
            print(f"error: {exc}", file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
