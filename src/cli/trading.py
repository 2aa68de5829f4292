"""``ktrade paper`` and ``ktrade live``: the live example's session, with the CLI's config.

The session itself (key check, runtime, dead man's switch, signals, summary) is
``src.app.trading_session.trade``, the one ``examples/live_trading_kraken.py`` runs; this
module chooses the venue, strategy, limits and database from the config and command line,
prints the banner, applies the paper gate and the typed confirmation for live, and records
how the session ended.
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from src.cli import sessions
from src.cli.banner import banner_lines
from src.cli.context import Context
from src.cli.errors import CliError
from src.cli.strategies import Resolved, resolve, strategy_choice
from src.core.risk import RiskLimits


@dataclass
class Session:
    """What a session runs with, decided before anything connects."""

    mode: str
    resolved: Resolved
    limits: RiskLimits
    capital: Decimal
    db: Path
    runtime_dir: Path
    log_path: Path
    settings: Any  # KrakenSettings (imported lazily)
    ops: Any  # OpsPlan: dashboard, metrics, alerts (imported lazily)
    risk_source: ConfigRisk | None = None
    exchange_url: str | None = None  # a standalone paper exchange (paper --exchange-url)


@dataclass(frozen=True)
class ConfigRisk:
    """The config file's ``[risk]`` table, read again: what the dashboard's "reload" applies."""

    path: Path
    pairs: tuple[str, ...]

    def __call__(self) -> RiskLimits:
        """The limits the file says now.

        Raises:
            ConfigurationError: the file is gone or a value is bad (the dashboard shows it).
        """
        from src.cli.config import load_config
        from src.core.errors import ConfigurationError

        try:
            return load_config(self.path, required=True).risk.limits(list(self.pairs))
        except CliError as exc:
            raise ConfigurationError(exc.message) from None

    def __str__(self) -> str:
        return f"{self.path} [risk]"


def prepare(ctx: Context, mode: str) -> Session:
    """Read the config and command line into a ``Session``; set up the session's log file.

    Raises:
        CliError: a bad value, or a capital outside the risk limits.
    """
    from src.brokers.kraken.settings import KrakenSettings

    config = ctx.config()
    choice = strategy_choice(ctx.args, config)
    capital = ctx.args.capital_per_pair or config.trading.capital_per_pair
    if capital <= 0:
        raise CliError(
            f"--capital-per-pair {capital}: must be above 0", "e.g. --capital-per-pair 200"
        )
    limits = config.risk.limits(choice.pairs)
    tier = config.trading.tier
    settings = KrakenSettings(tier=tier) if tier else KrakenSettings()
    runtime_dir = config.data_dir() / "runtime"
    log_path = ctx.log_to_file(config.data_dir() / "logs", f"trading_{mode}")
    resolved = resolve(choice, config)
    for warning in resolved.warnings:
        ctx.err.write(f"\n!!!!! WARNING: {warning} !!!!!\n\n")
    # A standalone paper exchange keeps its own accounts: its bot's books live apart from
    # those of the in-process one (which start fresh each session) and of other exchanges.
    given: str | None = getattr(ctx.args, "exchange_url", None)  # live has no such option
    remote = given.rstrip("/") if given else None
    where = "" if remote is None else "@" + remote.split("://", 1)[-1].replace(":", "-")
    db = ctx.args.db or runtime_dir / f"{mode}{where}.sqlite"
    from src.app.ops_services import ops_plan

    ops = ops_plan(
        mode, dashboard=ctx.args.dashboard, metrics=ctx.args.metrics, tables=config.ops_tables()
    )
    risk = ConfigRisk(ctx.config_path, tuple(choice.pairs)) if ctx.config_path.is_file() else None
    return Session(
        mode, resolved, limits, capital, db, runtime_dir, log_path, settings, ops, risk, remote
    )


def _banner(ctx: Context, session: Session, endpoint: str) -> None:
    from src.app.operator import banner

    banner(session.mode, ctx.out)
    strategy = session.resolved.strategy
    lines = banner_lines(
        mode=session.mode,
        endpoint=endpoint,
        tier=session.settings.tier,
        pairs=list(strategy.symbols),
        capital_per_pair=session.capital,
        strategy=session.resolved.description,
        limits=session.limits,
        log_path=str(session.log_path),
    )
    ctx.print(*lines, *session.ops.lines())
    ctx.log(
        "session.config",
        mode=session.mode,
        endpoint=endpoint,
        tier=session.settings.tier,
        pairs=list(strategy.symbols),
        capital_per_pair=str(session.capital),
        strategy=session.resolved.identity,
        db=str(session.db),
        limits=session.limits.model_dump(mode="json"),
    )


def live_gate(ctx: Context, session: Session) -> None:
    """Refuse live trading without a recent clean paper session of the same strategy.

    Raises:
        CliError: no such session (and no ``--skip-paper-gate``).
    """
    trading = ctx.config().trading
    if ctx.args.skip_paper_gate:
        ctx.warn("--skip-paper-gate: going live without a recent paper session of this strategy")
        ctx.log("operator.skip_paper_gate", strategy=session.resolved.identity)
        return
    found, why = sessions.paper_gate(
        session.runtime_dir,
        session.resolved.identity,
        hours=trading.paper_gate_hours,
        minutes=trading.paper_gate_minutes,
    )
    if found is None:
        raise CliError(
            f"live trading needs a recent paper session of the same strategy: {why}",
            f"run `ktrade paper` with the same strategy options for at least "
            f"{trading.paper_gate_minutes:g} min first (or pass --skip-paper-gate)",
        )
    ctx.print(f"paper gate: passed (paper session ended {found.ended}, {found.seconds:.0f} s)")


def _live_venue(ctx: Context, session: Session) -> AbstractAsyncContextManager[Any]:
    from src.app.session import live_venue

    creds = ctx.credentials()
    if not creds.has_kraken:
        raise CliError(
            "live trading needs your Kraken API key and private key",
            "run `ktrade setup`, or set KRAKEN_API_KEY and KRAKEN_API_SECRET",
        )
    live_gate(ctx, session)
    from src.app.operator import confirm_live, live_venue_line

    ctx.print(live_venue_line(session.settings.api_url, session.settings.tier))
    if not confirm_live(session.limits, bool(ctx.args.yes)):
        ctx.log("operator.live_declined")
        raise CliError("not confirmed; nothing was sent", None, exit_code=1)
    ctx.log("operator.live_confirmed", assumed=bool(ctx.args.yes))
    return live_venue(
        creds.require("kraken_api_key"),
        creds.require("kraken_api_secret"),
        settings=session.settings,
    )


def _remote_paper_venue(session: Session, url: str) -> AbstractAsyncContextManager[Any]:
    """A paper exchange started on its own (``python -m src.brokers.paper``; compose's)."""
    import os

    from src.app.session import remote_paper_venue
    from src.core.clock import SystemClock

    key, secret = (os.environ.get(f"KTRADE_PAPER_API_{n}", "").strip() for n in ("KEY", "SECRET"))
    if not (key and secret):
        raise CliError(
            "--exchange-url needs the paper exchange's demo account key",
            "set KTRADE_PAPER_API_KEY and KTRADE_PAPER_API_SECRET to what it printed at start "
            "(or what it was started with: --api-key/--api-secret)",
        )
    host = url.split("://", 1)[-1]
    scheme = "wss" if url.startswith("https://") else "ws"
    # The paper exchange's own layout (src/venues/kraken_paper): REST at the root, the two
    # WebSockets under /ws/v2 and /ws-auth/v2. Its clock runs at real time by default.
    urls = (url, f"{scheme}://{host}/ws/v2", f"{scheme}://{host}/ws-auth/v2")
    return remote_paper_venue(key, secret, urls, clock=SystemClock(), settings=session.settings)


async def _trade(ctx: Context, session: Session, venue_cm: AbstractAsyncContextManager[Any]) -> int:
    from src.app.session import SessionSettings
    from src.app.trading_session import SessionPlan, trade

    runtimes: list[Any] = []
    settings = SessionSettings(
        db_path=session.db,
        limits=session.limits,
        capital_per_pair=session.capital,
        cancel_orphans=session.mode != "live",
    )
    plan = SessionPlan(
        strategy=session.resolved.strategy,
        settings=settings,
        duration=ctx.args.duration,
        # The in-process exchange starts empty: so do its books. A standalone one
        # (--exchange-url) keeps its accounts across bot restarts, as Kraken does.
        fresh_db=session.mode != "live" and session.exchange_url is None,
        dead_man_timeout=60 if session.mode in ("live", "mirror") else None,
        on_runtime=runtimes.append,
        services=session.ops.services(session.risk_source),
    )
    started = datetime.now(UTC)
    async with venue_cm as venue:
        if session.mode == "live" or session.exchange_url is not None:
            endpoint = str(venue.adapter.base_url)
        else:
            endpoint = f"{venue.adapter.base_url} (in-process paper exchange)"
        _banner(ctx, session, endpoint)
        ctx.log("session.start", mode=session.mode)
        code = int(await trade(venue, plan))
    ended = datetime.now(UTC)
    runtime = runtimes[0] if runtimes else None
    kill = runtime.risk.kill_switch.reason if runtime is not None else None
    rec = sessions.SessionRecord(
        mode=session.mode,
        identity=session.resolved.identity,
        started=started.isoformat(),
        ended=ended.isoformat(),
        seconds=(ended - started).total_seconds(),
        exit_code=code,
        kill_reason=kill,
        fills=runtime.portfolio.trades if runtime is not None else 0,
    )
    sessions.record(session.runtime_dir, rec)
    ctx.log("session.stop", mode=session.mode, exit_code=code, kill_reason=kill, fills=rec.fills)
    return code


def run_session(ctx: Context, mode: str) -> int:
    """Run one paper (or mirror) or live session; the exit status of ``trade``."""
    session = prepare(ctx, mode)
    if mode == "live":
        venue_cm = _live_venue(ctx, session)
    elif session.exchange_url is not None:
        venue_cm = _remote_paper_venue(session, session.exchange_url)
    else:
        from src.app.session import paper_speed, paper_venue

        speed = paper_speed(session.resolved.strategy.interval_minutes)
        venue_cm = paper_venue(mirror=mode == "mirror", speed=speed, settings=session.settings)
    return asyncio.run(_trade(ctx, session, venue_cm))
