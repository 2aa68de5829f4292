"""``ktrade backtest``: candles -> replay through the runtime -> report on screen and in HTML."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from src.cli import candles as candle_data
from src.cli.context import Context
from src.cli.errors import CliError
from src.cli.metrics import Report, build_report
from src.cli.replay import BuyAndHold, ReplayResult, ReplaySetup, replay
from src.cli.report_html import metric_rows, num, pct, render_html
from src.cli.strategies import Resolved, ml_settings, resolve, strategy_choice
from src.cli.table import table
from src.core.market_data import Candle
from src.core.strategy import Strategy

#: A replay shorter than this gets a note that its annualized figures mean little.
SHORT_PERIOD = timedelta(days=30)


@dataclass
class Plan:
    """What the backtest runs, settled before the first bar."""

    resolved: Resolved
    setup: ReplaySetup
    sources: list[str]
    notes: list[str]


def _window(
    ctx: Context, bars: dict[str, list[Candle]], warmup: int, interval: int
) -> tuple[datetime, datetime | None, list[str]]:
    """The first bar traded and the end, and notes about warm-up."""
    start = candle_data.parse_time(ctx.args.start, "--start")
    end = candle_data.parse_time(ctx.args.end, "--end")
    step = timedelta(minutes=interval)
    notes = []
    earliest = max(cs[0].timestamp for cs in bars.values())
    common_end = min(cs[-1].timestamp for cs in bars.values()) + step
    if (
        end is None
        and len(bars) > 1
        and common_end <= max(cs[-1].timestamp for cs in bars.values())
    ):
        end = common_end
        notes.append(
            f"the pairs' data end at different times: replaying their common range, "
            f"to {common_end:%Y-%m-%d %H:%M}"
        )
    ready = earliest + step * warmup
    if start is None:
        start = ready
    elif start < ready:
        have = max(0, int((start - earliest) / step))
        notes.append(
            f"only {have} bars before --start for a {warmup}-bar warm-up: the strategy "
            "is still warming up at the start of the range"
        )
    last = min(cs[-1].timestamp for cs in bars.values())
    if start > last:
        raise CliError(
            f"no candles from {start:%Y-%m-%d} on: the data runs {earliest:%Y-%m-%d} to "
            f"{last:%Y-%m-%d}",
            "give an earlier --start, or `ktrade download` newer candles",
        )
    if end is not None and end <= start:
        raise CliError(
            f"--end {end:%Y-%m-%d} is not after the start {start:%Y-%m-%d}",
            "give a later --end, or an earlier --start",
        )
    return start, end, notes


def plan(ctx: Context) -> Plan:
    """Choose the strategy, load candles, and fix the replay's settings.

    Raises:
        CliError: bad dates, pairs without candles, or out-of-range costs.
    """
    from src.ml.config import load_config

    config = ctx.config()
    resolved = resolve(strategy_choice(ctx.args, config), config)
    strategy = resolved.strategy
    interval = strategy.interval_minutes
    experiment_path, _, _, _ = ml_settings(config)
    experiment = load_config(experiment_path)
    pairs = list(strategy.symbols)
    store = candle_data.candle_store(config.data_dir())
    loaded = candle_data.load(pairs, interval, store, experiment.data, source=ctx.args.data)
    bars = {item.pair: candle_data.to_candles(item.pair, interval, item.frame) for item in loaded}
    empty = [p for p, cs in bars.items() if not cs]
    if empty:
        raise CliError(f"no candles for {', '.join(empty)}", "run `ktrade download` for them")
    start, end, notes = _window(ctx, bars, strategy.warmup_candles, interval)
    span = (end or min(cs[-1].timestamp for cs in bars.values())) - start
    if span < SHORT_PERIOD:
        # Annualizing a few days (a fresh REST or paper download) gives absurd CAGRs.
        length = f"{span.days} days" if span.days >= 2 else f"{span.total_seconds() / 3600:.0f} h"
        notes.append(
            f"only {length} replayed: CAGR, Sharpe and Sortino are annualized from it and "
            "mean little; add history (`ktrade download --trades --since DATE`, --import) "
            "or replay the shipped files (--data files)"
        )
    last_bar = end or min(cs[-1].timestamp for cs in bars.values())
    notes += _in_sample(resolved, start, last_bar, timedelta(minutes=interval))
    instruments, guessed = candle_data.instruments(pairs, experiment)
    notes += [f"{p}: tick and lot sizes unknown, a fine grid is assumed" for p in guessed]
    limits = config.risk.limits(pairs)
    refused = [p for p in pairs if p not in limits.allowed_pairs]
    notes += [
        f"{p} is not in [risk] allowed_pairs: its orders are refused, as live" for p in refused
    ]
    fee = ctx.args.fee if ctx.args.fee is not None else Decimal(str(experiment.costs.taker_fee))
    spread = (
        ctx.args.spread_bps
        if ctx.args.spread_bps is not None
        else Decimal(str(experiment.costs.spread_bps))
    )
    if not (0 <= fee < 1 and 0 <= spread < 10_000):
        raise CliError(
            f"--fee {fee} / --spread-bps {spread}: out of range",
            "a fee is a fraction (0.004 is 0.4 %); a spread is in basis points",
        )
    capital = ctx.args.capital_per_pair or config.trading.capital_per_pair
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    setup = ReplaySetup(
        candles=bars,
        instruments=instruments,
        interval_minutes=interval,
        start=start,
        end=end,
        capital_per_pair=capital,
        limits=limits,
        taker_fee=fee,
        spread_bps=spread,
        db_path=config.data_dir() / "backtests" / f"backtest-{stamp}.sqlite",
    )
    return Plan(resolved, setup, [f"{i.pair}: {i.source}" for i in loaded], notes)


def _in_sample(resolved: Resolved, start: datetime, end: datetime, step: timedelta) -> list[str]:
    """A note when the replay covers candles the model learned from: those figures flatter it."""
    if resolved.trained_on is None:
        return []
    first, last = resolved.trained_on
    if start > last or end < first:
        return []
    after = last + step
    return [
        f"IN-SAMPLE: the model learned from candles {first:%Y-%m-%d %H:%M} to "
        f"{last:%Y-%m-%d %H:%M} UTC, which this replay covers; its figures there are not "
        f"out-of-sample and overstate it. Replay from --start {after:%Y-%m-%dT%H:%M} on, "
        "or read the walk-forward report of its training run"
    ]


def _run(ctx: Context, setup: ReplaySetup, strategy: Strategy, label: str) -> ReplayResult:
    from tqdm.auto import tqdm

    with tqdm(
        desc=label, unit="bar", disable=True if ctx.args.no_progress else None, file=ctx.err
    ) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        return asyncio.run(replay(setup, strategy, label, progress))


def facts(p: Plan, report: Report) -> list[tuple[str, str]]:
    """The run's settings, as shown above the figures."""
    s = p.setup
    return [
        ("strategy", p.resolved.description),
        ("pairs", ", ".join(s.candles)),
        (
            "period",
            f"{report.start:%Y-%m-%d %H:%M} to {report.end:%Y-%m-%d %H:%M} UTC "
            f"({s.interval_minutes}-minute bars)",
        ),
        ("capital", f"{s.capital_per_pair.normalize():f} per pair"),
        ("costs", f"taker fee {s.taker_fee * 100:.2f} %, spread {s.spread_bps.normalize():f} bps"),
        ("data", "; ".join(p.sources)),
    ]


def summary_lines(p: Plan, results: list[ReplayResult], reports: list[Report]) -> list[str]:
    """The terminal report."""
    lines = [f"{name:<9} {value}" for name, value in facts(p, reports[0])]
    columns = [metric_rows(r) for r in reports]
    rows = [[name, *(c[i][1] for c in columns)] for i, (name, _) in enumerate(columns[0])]
    lines += ["", table(["metric", *(r.label for r in reports)], rows), "", "per pair"]
    lines.append(
        table(
            ["pair", "trades", "win rate", "PnL", "fees", "exposure"],
            [
                [
                    pair,
                    int(row["trades"]),
                    pct(row["win_rate"]),
                    num(row["pnl"]),
                    num(row["fees"]),
                    pct(row["exposure"]),
                ]
                for pair, row in reports[0].per_pair.items()
            ],
        )
    )
    for result in results:
        refusals = ", ".join(f"{k}={v}" for k, v in sorted(result.refusals.items())) or "none"
        lines.append(f"{result.label}: risk refusals {sum(result.refusals.values())} ({refusals})")
        if result.kill_reason:
            lines.append(
                f"{result.label}: KILL SWITCH tripped at {result.kill_time:%Y-%m-%d %H:%M}"
                f" ({result.kill_reason}); no order after that, as live"
            )
    return lines


def run_backtest(ctx: Context) -> int:
    """Plan, replay (and replay buy-and-hold with ``--compare``), report; 0 on success."""
    log_path = ctx.log_to_file(ctx.config().data_dir() / "logs", "backtest")
    p = plan(ctx)
    for note in [*p.resolved.warnings, *p.notes]:
        ctx.warn(note)
    results = [_run(ctx, p.setup, p.resolved.strategy, "strategy")]
    if ctx.args.compare:
        hold = BuyAndHold(list(p.setup.candles), p.setup.interval_minutes)
        db = p.setup.db_path.with_name(p.setup.db_path.stem + "-buy-and-hold.sqlite")
        from dataclasses import replace

        results.append(_run(ctx, replace(p.setup, db_path=db), hold, "buy and hold"))
    reports = [build_report(r, p.setup.interval_minutes) for r in results]
    ctx.print(*summary_lines(p, results, reports))
    ctx.log(
        "backtest.done",
        strategy=p.resolved.identity,
        total_return=reports[0].total_return,
        trades=len(reports[0].trades),
    )
    if not ctx.args.no_html:
        out: Path = ctx.args.output or (
            p.setup.db_path.parent.parent / "reports" / (p.setup.db_path.stem + ".html")
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        title = f"Backtest: {p.resolved.description}"
        out.write_text(
            render_html(title, facts(p, reports[0]), results, reports, p.notes), encoding="utf-8"
        )
        ctx.print("", f"HTML report: {out.resolve()}")
    ctx.print(f"runtime database: {p.setup.db_path} (`ktrade status --db` reads it)")
    ctx.print(f"log: {log_path}")
    return 0
