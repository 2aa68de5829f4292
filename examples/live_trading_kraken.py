"""Trade on Kraken through the trading runtime: paper by default, live only when asked twice.

    python examples/live_trading_kraken.py                    # paper: local exchange, replayed data
    python examples/live_trading_kraken.py --mirror           # paper on Kraken's live public prices
    python examples/live_trading_kraken.py --live             # real money (asks for confirmation)

Ctrl-C cancels open orders, saves state and exits; ``touch KILL`` or ``kill -USR1 <pid>`` trips
the kill switch (cancel everything, refuse new orders). Logs: ``logs/``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from src.app.paths import DEFAULT_RISK_CONFIG
from src.app.session import (
    SessionSettings,
    Venue,
    build_runtime,
    live_venue,
    paper_venue,
)
from src.app.summary import summarize
from src.app.venue import DeadMansSwitch, check_key
from src.brokers.credentials import BrokerCredentials
from src.brokers.kraken.settings import KrakenSettings
from src.core.errors import AuthenticationError, ConfigurationError
from src.core.risk import RiskLimits
from src.core.runtime import Heartbeat, TradingRuntime
from src.core.strategy import MovingAverageCross, Strategy
from src.utils.logging import configure_logging

BANNERS = {
    "paper": "PAPER TRADING - local paper exchange replaying recorded Kraken data - no real money",
    "mirror": "PAPER TRADING - local paper exchange on Kraken's LIVE public prices - no real money",
    "live": "LIVE TRADING - REAL ORDERS ON KRAKEN WITH REAL MONEY",
}


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
    return p.parse_args(argv)


def make_strategy(args: argparse.Namespace) -> Strategy:
    """The strategy ``--strategy`` names: the registry's model, or a moving-average cross."""
    if args.strategy == "model":
        from src.cli.strategies import alias_run_id, newest_model_run
        from src.ml.config import DEFAULT_CONFIG_PATH, load_config
        from src.ml.live_strategy import ModelStrategy

        if alias_run_id(None, args.model_name, args.alias) is not None:
            return ModelStrategy.from_registry(args.symbols, args.model_name, alias=args.alias)
        # Nothing has passed the promotion gate: trading a model anyway must be a choice the
        # user sees, never a silent substitute.
        run_id, name = newest_model_run(None, load_config(DEFAULT_CONFIG_PATH).tracking.experiment)
        print(
            f"!! no model is {args.model_name}@{args.alias}: trading the newest run's model, "
            f"{name} (run {run_id}), which did NOT pass the promotion gate",
            flush=True,
        )
        return ModelStrategy.from_run(args.symbols, run_id)
    return MovingAverageCross(args.symbols, fast=3, slow=8, interval_minutes=args.interval)


def banner(mode: str, out: TextIO | None = None) -> None:
    """Print the mode's banner (PAPER, MIRROR or LIVE) framed in ``#`` to ``out`` or stdout."""
    text = BANNERS[mode]
    bar = "#" * (len(text) + 8)
    print(f"\n{bar}\n### {text} ###\n{bar}\n", file=out or sys.stdout, flush=True)


def confirm_live(limits: RiskLimits, assume_yes: bool) -> bool:
    """Show the risk limits and ask the user to type a confirmation before live trading.

    Returns:
        True if the user confirmed, or ``assume_yes`` is set.
    """
    print("Risk limits in force:")
    for line in limits.describe():
        print(f"  {line}")
    if assume_yes:
        print("--yes given: not asking for confirmation.")
        return True
    answer = input("Type LIVE (in capitals) to send real orders, anything else to stop: ")
    return answer.strip() == "LIVE"


def setup_logs(mode: str) -> Path:
    """Send structured JSON logs to a new timestamped file under ``logs/``.

    Returns:
        The log file's path.
    """
    Path("logs").mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = Path("logs") / f"trading_{mode}_{stamp}.jsonl"
    configure_logging(json=True, stream=path.open("a", encoding="utf-8"), force=True)
    return path


async def preflight(venue: Venue) -> bool:
    """Check credentials and key permissions; False means do not trade."""
    try:
        report = await check_key(venue.adapter)
    except AuthenticationError as exc:
        print(f"Credentials rejected by Kraken: {exc}", file=sys.stderr)
        return False
    print("API key check:")
    print("\n".join(report.lines()))
    return not report.missing


@dataclass
class SessionPlan:
    """How ``trade`` runs one session: everything it needs besides the venue.

    ``main`` derives it from the command line (``plan_session``); the soak harness
    (``src/app/soak``) builds its own, so it runs the runtime exactly as this example does.

    Attributes:
        strategy: what trades.
        settings: database, risk limits and timings.
        duration: stop after this many seconds (None: until Ctrl-C).
        fresh_db: delete the database first (paper: the local exchange starts fresh too).
        dead_man_timeout: arm Kraken's dead man's switch with this timeout, in the exchange's
            seconds, re-armed on every heartbeat; None leaves it unarmed.
        on_runtime: called with the runtime once it is built, before it starts.
    """

    strategy: Strategy
    settings: SessionSettings
    duration: float | None = None
    fresh_db: bool = False
    dead_man_timeout: int | None = None
    on_runtime: Callable[[TradingRuntime], None] | None = None


def plan_session(args: argparse.Namespace, venue: Venue, limits: RiskLimits) -> SessionPlan:
    """The session the command line asks for on ``venue``."""
    db = args.db or Path("data/runtime") / f"{venue.mode}.sqlite"
    settings = SessionSettings(
        db_path=db, limits=limits, capital_per_pair=args.capital_per_pair,
        cancel_orphans=venue.mode != "live",
    )  # fmt: skip
    # On the replayed market the exchange runs 3600x faster than real time, so a dead man's
    # timeout would fire between two heartbeats; it protects real-time venues only.
    return SessionPlan(
        strategy=make_strategy(args),
        settings=settings,
        duration=args.duration,
        fresh_db=venue.mode != "live",  # the local exchange lives in memory: books start fresh
        dead_man_timeout=60 if venue.mode in ("live", "mirror") else None,
    )


async def trade(venue: Venue, plan: SessionPlan) -> int:
    """Check the key, run the runtime on ``venue`` until stopped, then print the summary.

    Returns:
        The exit status: 0 after a session, 2 if the key check fails.
    """
    db = plan.settings.db_path
    if plan.fresh_db:
        db.unlink(missing_ok=True)
    heartbeats: list[Heartbeat] = []
    dead_man = None
    if plan.dead_man_timeout is not None:
        dead_man = DeadMansSwitch(
            venue.adapter, timeout=plan.dead_man_timeout, monotonic=venue.exchange_clock.monotonic
        )
        heartbeats.append(dead_man)
    runtime = build_runtime(
        venue, plan.strategy, plan.settings, heartbeats=heartbeats, status_sink=print_status
    )
    if dead_man is not None:  # a switch that cannot be kept armed stops new trading
        dead_man.on_lost = runtime.risk.kill_switch.trip
    if plan.on_runtime is not None:
        plan.on_runtime(runtime)
    # After build_runtime, which resumes the rate-limit counters the last session left: the
    # key check's calls then count against what Kraken still remembers of a crashed session.
    if not await preflight(venue):
        return 2
    install_signals(runtime)
    try:
        if dead_man is not None:
            # Armed before the runtime starts: its first step can send orders before the first
            # heartbeat comes round, and after a long outage nothing else protects them.
            await dead_man()
        await runtime.run(plan.duration)
    finally:
        if dead_man is not None:
            await dead_man.disarm()
    summary = await summarize(runtime, venue.adapter)
    print("\nSession summary (runtime database vs the exchange's own records):")
    print(summary.table())
    print(f"state saved in {db}")
    return 0


def print_status(line: str) -> None:
    """Print one runtime status line with the UTC time of day."""
    print(f"[{datetime.now(UTC):%H:%M:%S}] {line}", flush=True)


def install_signals(runtime: TradingRuntime) -> None:
    """Make SIGINT and SIGTERM stop ``runtime`` and arm its kill switch's signal handler."""
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):  # not on Windows
        loop.add_signal_handler(signal.SIGINT, runtime.stop)
        loop.add_signal_handler(signal.SIGTERM, runtime.stop)
        runtime.risk.kill_switch.install_signal_handler(loop)


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
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if mode == "live":
        creds = BrokerCredentials()
        if creds.kraken_api_key is None or creds.kraken_api_secret is None:
            print(
                "error: --live needs KRAKEN_API_KEY and KRAKEN_API_SECRET (.env)", file=sys.stderr
            )
            return 2
        # Shown before the confirmation: the user confirms this venue and these limits.
        print(f"Kraken at {settings.api_url}, {settings.tier} tier rate limits (KRAKEN_TIER)")
        if not confirm_live(limits, args.yes):
            print("Not confirmed; nothing was sent.")
            return 1
        venue_cm = live_venue(
            creds.kraken_api_key.get_secret_value(),
            creds.kraken_api_secret.get_secret_value(),
            settings=settings,
        )
    else:
        venue_cm = paper_venue(mirror=args.mirror, settings=settings)
    async with venue_cm as venue:
        try:
            plan = plan_session(args, venue, limits)
        except LookupError as exc:  # --strategy model with nothing trained yet
            print(f"error: {exc}; train one first: python examples/train_model.py", file=sys.stderr)
            return 2
        return await trade(venue, plan)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
