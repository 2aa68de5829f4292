"""The soak's runtime process: ``examples/live_trading_kraken.py``'s ``trade()`` on a remote venue.

Everything the example does is reused: its logs, banner, key check, dead man's switch, runtime
(``build_runtime``), signal handling and end-of-session summary. What differs is what a soak
needs: the venue is a paper exchange in another process (through the fault proxy), the
database persists across restarts (as on live), the strategy churns, and the dead man's
timeout is in the accelerated exchange clock's seconds.

``python -m src.app.soak.worker --rest URL --ws URL --ws-auth URL --key K --secret S --db DB
--speed X --pairs BTC/USD ... --seed N --risk-config FILE --dead-man-timeout T`` (run by the
harness from its workdir; SIGTERM stops it cleanly, as Ctrl-C stops the example).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from decimal import Decimal
from pathlib import Path

from src.app.clocks import ScaledClock
from src.app.logs import setup_logs
from src.app.operator import banner
from src.app.session import SessionSettings, remote_paper_venue
from src.app.soak.churn import ChurnStrategy, OrderMix
from src.app.trading_session import SessionPlan, trade
from src.brokers.kraken.settings import KrakenSettings
from src.core.risk import RiskLimits
from src.core.working_orders import WorkingOrderConfig


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The worker's options (the harness passes all of them)."""
    p = argparse.ArgumentParser(prog="python -m src.app.soak.worker")
    p.add_argument("--rest", required=True)
    p.add_argument("--ws", required=True)
    p.add_argument("--ws-auth", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--secret", required=True)
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--speed", type=float, required=True, help="exchange clock speed")
    p.add_argument("--tier", default="starter")
    p.add_argument("--pairs", nargs="+", required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--interval", type=int, default=30, help="candle minutes")
    p.add_argument("--limit-share", type=float, default=0.5)
    p.add_argument("--capital-per-pair", type=Decimal, default=Decimal(200))
    p.add_argument("--risk-config", type=Path, required=True)
    p.add_argument("--dead-man-timeout", type=int, required=True, help="exchange seconds")
    p.add_argument("--heartbeat", type=float, default=4.0, help="real seconds")
    p.add_argument("--reconcile", type=float, default=10.0, help="real seconds")
    p.add_argument("--reprice-after", type=float, default=1.0, help="real seconds")
    p.add_argument("--cancel-after", type=float, default=5.0, help="real seconds")
    return p.parse_args(argv)


def plan(args: argparse.Namespace) -> SessionPlan:
    """The session: churn on the pairs, the database kept, the dead man's switch armed."""
    strategy = ChurnStrategy(args.pairs, args.seed, args.interval)
    settings = SessionSettings(
        db_path=args.db,
        limits=RiskLimits.from_toml(args.risk_config),
        capital_per_pair=args.capital_per_pair,
        reconcile_seconds=args.reconcile,
        heartbeat_seconds=args.heartbeat,
        cancel_orphans=False,  # as on live: an order the database does not know is a finding
        working_orders=WorkingOrderConfig(
            reprice_after_seconds=args.reprice_after,
            reprice_threshold_bps=Decimal(8),
            max_reprices=2,
            cancel_after_seconds=args.cancel_after,
            cancel_on_flip=True,
        ),
    )
    return SessionPlan(
        strategy=strategy,
        settings=settings,
        fresh_db=False,
        dead_man_timeout=args.dead_man_timeout,
        on_runtime=OrderMix(args.seed, args.limit_share).install,
    )


async def main(argv: list[str] | None = None) -> int:
    """Run one worker until SIGTERM (or kill -9)."""
    args = parse_args(argv)
    print(f"structured log: {setup_logs('paper')}", flush=True)
    banner("paper")
    settings = KrakenSettings(
        api_url=args.rest, ws_url=args.ws, ws_auth_url=args.ws_auth, tier=args.tier
    )
    venue_cm = remote_paper_venue(
        args.key,
        args.secret,
        (args.rest, args.ws, args.ws_auth),
        clock=ScaledClock(args.speed),
        tier=args.tier,
        settings=settings,
    )
    async with venue_cm as venue:
        return await trade(venue, plan(args))


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
