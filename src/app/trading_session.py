"""One trading session on an open venue: key check, runtime, services, signals, summary.

``examples/live_trading_kraken.py``, ``ktrade paper``/``live`` and the soak's worker all run a
session through ``trade``; each builds the ``SessionPlan`` it needs (``plan_session`` is the
example's, from its command line).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from src.app.preflight import preflight
from src.app.session import SessionSettings, Venue, build_runtime
from src.app.session_state import SessionState
from src.app.strategy_choice import make_strategy
from src.app.summary import scope_line, summarize
from src.app.venue import DeadMansSwitch
from src.core.risk import RiskLimits
from src.core.runtime import Heartbeat, TradingRuntime
from src.core.strategy import Strategy

#: Something that runs beside the runtime for the session (a dashboard, a metrics server):
#: given the built runtime, an async context manager entered before it runs, exited after.
Service = Callable[[TradingRuntime], contextlib.AbstractAsyncContextManager[object]]


@dataclass
class SessionPlan:
    """How ``trade`` runs one session: everything it needs besides the venue.

    The example derives it from the command line (``plan_session``); ``ktrade`` from its
    config; the soak harness (``src/app/soak``) builds its own, so it runs the runtime exactly
    as the example does.

    Attributes:
        strategy: what trades.
        settings: database, risk limits and timings.
        duration: stop after this many seconds (None: until Ctrl-C).
        fresh_db: delete the database first (paper: the local exchange starts fresh too).
        dead_man_timeout: arm Kraken's dead man's switch with this timeout, in the exchange's
            seconds, re-armed on every heartbeat; None leaves it unarmed.
        on_runtime: called with the runtime once it is built, before it starts.
        services: entered in order once the runtime is built and the key check passed, before
            the runtime runs; exited (in reverse) after it stops, also when it fails.
    """

    strategy: Strategy
    settings: SessionSettings
    duration: float | None = None
    fresh_db: bool = False
    dead_man_timeout: int | None = None
    on_runtime: Callable[[TradingRuntime], None] | None = None
    services: Sequence[Service] = ()


def plan_session(
    args: argparse.Namespace,
    venue: Venue,
    limits: RiskLimits,
    *,
    services: Sequence[Service] = (),
    strategy: Strategy | None = None,
) -> SessionPlan:
    """The session the example's command line asks for on ``venue``, with ``services``.

    ``strategy`` is the one ``make_strategy(args)`` already built (the example builds it before
    the venue, whose replay speed follows the strategy's candle interval); None builds it here.
    """
    db = args.db or Path("data/runtime") / f"{venue.mode}.sqlite"
    settings = SessionSettings(
        db_path=db, limits=limits, capital_per_pair=args.capital_per_pair,
        cancel_orphans=venue.mode != "live",
    )  # fmt: skip
    # On the replayed market the exchange runs 3600x faster than real time, so a dead man's
    # timeout would fire between two heartbeats; it protects real-time venues only.
    return SessionPlan(
        strategy=strategy if strategy is not None else make_strategy(args),
        settings=settings,
        duration=args.duration,
        fresh_db=venue.mode != "live",  # the local exchange lives in memory: books start fresh
        dead_man_timeout=60 if venue.mode in ("live", "mirror") else None,
        services=services,
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
    # Each status line is printed and kept in the database, with the kill switch's state,
    # for `ktrade status` to read while the bot runs.
    state = SessionState(venue.mode, echo=print_status)
    runtime = build_runtime(
        venue, plan.strategy, plan.settings, heartbeats=heartbeats, status_sink=state.sink
    )
    state.attach(runtime.store, runtime.risk.kill_switch)
    fills_before = len(runtime.store.fills())  # a restart resumes the database's history
    if dead_man is not None:  # a switch that cannot be kept armed stops new trading
        dead_man.on_lost = runtime.risk.kill_switch.trip
    if plan.on_runtime is not None:
        plan.on_runtime(runtime)
    # After build_runtime, which resumes the rate-limit counters the last session left: the
    # key check's calls then count against what Kraken still remembers of a crashed session.
    if not await preflight(venue):
        return 2
    install_signals(runtime)
    async with running([state.service, *plan.services], runtime):
        try:
            if dead_man is not None:
                # Armed before the runtime starts: its first step can send orders before the
                # first heartbeat comes round, and after a long outage nothing else protects them.
                await dead_man()
            await runtime.run(plan.duration)
        finally:
            if dead_man is not None:
                await dead_man.disarm()
    summary = await summarize(runtime, venue.adapter)
    print("\nSession summary (runtime database vs the exchange's own records):")
    print(summary.table())
    print(scope_line(runtime, fills_before, db))
    print(f"state saved in {db}")
    return 0


@contextlib.asynccontextmanager
async def running(services: Sequence[Service], runtime: TradingRuntime) -> AsyncIterator[None]:
    """Enter each of ``services`` on ``runtime`` in order; on the way out exit them in reverse.

    A service that fails to start stops the session before it trades, and the ones already
    entered are exited; an error inside the block exits every service before it propagates.
    """
    async with contextlib.AsyncExitStack() as stack:
        for service in services:
            await stack.enter_async_context(service(runtime))
        yield


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
