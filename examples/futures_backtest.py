"""Backtest a Kraken Futures perpetual: a long/short moving-average cross at target leverage.

    python examples/futures_backtest.py                          # OFFLINE (default)
    python examples/futures_backtest.py --start 2022-06-01 --end 2022-09-01 --leverage 2
    python examples/futures_backtest.py --source kraken --start 2025-01-01   # network

OFFLINE: the contract (tick, lot, margin tiers, funding interval) comes from the project's
local futures paper venue, read through ``KrakenFuturesAdapter`` on loopback; the prices are
the shipped hourly Kraken *spot* candles (data/market/kraken-ohlcvt-60m) standing in for the
index, the mark is ``close * (1 + --basis)`` and funding is the constant ``--funding-rate``
per funding period. Basis and funding are stated assumptions, not Kraken's history.

``--source kraken``: the contract, hourly mark candles (charts API) and historical funding
rates from Kraken Futures' public endpoints (no keys; nothing is traded).

The rule is decided on each bar's close and filled at the next open with the taker fee and
slippage (``run_futures_backtest``): +leverage while the fast average of closes is above the
slow one, -leverage below. It is a fixed rule, not a fitted model, so there is no in- or
out-of-sample split. Buy-and-hold at 1x runs on the same data and costs for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from src.brokers.kraken_futures import KrakenFuturesAdapter, KrakenFuturesSettings
from src.brokers.kraken_futures.constants import LIVE_REST_URL
from src.core.derivatives import DerivativeInstrument, Settlement
from src.core.errors import TradingError, UnknownSymbolError
from src.ml.backtest.futures import FuturesBacktestResult, FuturesCosts
from src.ml.backtest.futures_run import (
    compare_with_buy_and_hold,
    contract_max_leverage,
    format_comparison,
    regular_bars,
    slice_candles,
    sma_cross_target,
    summarize,
    with_funding_history,
    with_stated_mark_and_funding,
)
from src.ml.data.sources import read_kraken_ohlcvt_csv

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "market" / "kraken-ohlcvt-60m"
KRAKEN_PAIR = {"BTC": "XBT"}  # Kraken's file names keep the old code
STEP = timedelta(hours=1)
CHART_PAGE = 2000  # candles per charts call (Kraken's cap)
Progress = Callable[[str], None]


class UsageError(Exception):
    """A contract, a range or data the run cannot use; the message says which and why."""


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--symbol", default="PF_XBTUSD", help="a perpetual (PF_ linear, PI_ inverse)")
    p.add_argument("--source", choices=("local", "kraken"), default="local",
                   help="local: shipped spot candles, stated basis and funding "
                        "(offline); kraken: Kraken Futures' public mark candles "
                        "and funding history")  # fmt: skip
    p.add_argument("--data", type=Path, default=None,
                   help="local hourly OHLCVT file (default: the shipped one)")  # fmt: skip
    p.add_argument("--futures-url", default=LIVE_REST_URL, help="Kraken Futures REST root")
    p.add_argument("--start", type=_utc, default=_utc("2022-01-01"), help="UTC date, inclusive")
    p.add_argument("--end", type=_utc, default=_utc("2023-01-01"), help="UTC date, exclusive")
    p.add_argument("--fast", type=int, default=24, help="fast average, hours")
    p.add_argument("--slow", type=int, default=96, help="slow average, hours")
    p.add_argument("--leverage", type=float, default=1.0, help="target leverage of the rule")
    p.add_argument("--max-leverage", type=float, default=5.0,
                   help="clamp (also capped by the contract's first margin tier)")  # fmt: skip
    p.add_argument("--taker-fee", type=float, default=0.0005, help="fraction (tier 0: 0.05 %%)")
    p.add_argument("--slippage-bps", type=float, default=1.0, help="adverse move per fill")
    p.add_argument("--basis", type=float, default=0.0002,
                   help="local source: stated mark/index - 1 (default 2 bp)")  # fmt: skip
    p.add_argument("--funding-rate", type=float, default=0.0000125,
                   help="local source: stated relative funding per period (default "
                        "0.00125 %% an hour; positive: longs pay)")  # fmt: skip
    p.add_argument("--equity", type=float, default=10_000.0,
                   help="starting collateral, USD (inverse: at the first mark)")  # fmt: skip
    p.add_argument("--mlflow-uri", default="sqlite:///mlflow.db", help="MLflow tracking URI")
    p.add_argument("--experiment", default="futures-backtest", help="MLflow experiment")
    p.add_argument("--no-mlflow", action="store_true", help="do not log the run")
    return p.parse_args(argv)


@contextlib.asynccontextmanager
async def open_adapter(args: argparse.Namespace) -> AsyncIterator[KrakenFuturesAdapter]:
    """Kraken's public endpoints, or the local paper venue on loopback (no network)."""
    settings = KrakenFuturesSettings(api_key=None, api_secret=None)  # public reads only
    if args.source == "kraken":
        async with KrakenFuturesAdapter(base_url=args.futures_url, settings=settings) as adapter:
            yield adapter
        return
    from src.venues.kraken_futures_paper import FuturesPaperExchange

    async with (
        FuturesPaperExchange(auto_tick=False) as venue,
        KrakenFuturesAdapter(base_url=venue.rest_url, settings=settings) as adapter,
    ):
        yield adapter


async def load_contract(adapter: KrakenFuturesAdapter, symbol: str) -> DerivativeInstrument:
    """The perpetual ``symbol`` as the venue lists it.

    Raises:
        UsageError: not listed, or not a perpetual (a dated contract settles; not modelled).
    """
    try:
        contract = await adapter.get_instrument(symbol)
    except UnknownSymbolError:
        listed = ", ".join(i.symbol for i in await adapter.get_instruments())
        raise UsageError(f"unknown contract {symbol!r}; the venue lists: {listed}") from None
    if not contract.is_perpetual:
        raise UsageError(f"{contract.symbol} is a fixed maturity; this backtest takes perpetuals")
    return contract


def local_candles(contract: DerivativeInstrument, path: Path | None) -> tuple[pl.DataFrame, Path]:
    """The shipped hourly spot candles of the contract's base against USD (or ``path``)."""
    if path is None:
        pair = f"{KRAKEN_PAIR.get(contract.base, contract.base)}USD"
        found = sorted(DATA_DIR.glob(f"{pair}_60_*.csv"))
        if not found:
            raise UsageError(
                f"no local hourly candles for {contract.base}/USD: looked for {pair}_60_*.csv "
                f"in {DATA_DIR}; pass --data FILE or --source kraken"
            )
        path = found[0]
    if not path.is_file():
        raise UsageError(f"--data {path}: no such file")
    return read_kraken_ohlcvt_csv(path), path


async def kraken_frame(
    adapter: KrakenFuturesAdapter, contract: DerivativeInstrument, start: datetime,
    end: datetime, progress: Progress,
) -> pl.DataFrame:  # fmt: skip
    """Hourly mark candles (OHLC and ``mark`` = close) with the funding rate in force.

    Charts are read in pages of 2,000 bars; the bar still forming is left out.
    """
    rows: list[dict[str, object]] = []
    since, now = start, adapter.clock.now()
    stop = min(end, now)
    while since < stop:
        until = min(since + STEP * CHART_PAGE, stop)
        bars = await adapter.get_candles(
            contract.symbol, "1h", tick_type="mark", since=since, until=until
        )
        bars = [b for b in bars if since <= b.timestamp < until and b.timestamp + STEP <= now]
        rows += [
            {"timestamp": b.timestamp, "open": float(b.open), "high": float(b.high),
             "low": float(b.low), "close": float(b.close)}
            for b in bars
        ]  # fmt: skip
        progress(f"mark candles: {len(rows)} to {until:%Y-%m-%d %H:%M}")
        since = until
    if len(rows) < 2:
        raise UsageError(f"Kraken returned {len(rows)} mark candle(s) for {start} to {end}")
    frame = (
        pl.DataFrame(rows)
        .with_columns(pl.col("timestamp").dt.cast_time_unit("us").dt.replace_time_zone("UTC"))
        .unique("timestamp", keep="last")
    )
    frame, filled = regular_bars(frame, STEP)  # the backtest needs evenly spaced bars
    frame = frame.with_columns(pl.col("close").alias("mark"))
    if filled:
        progress(f"{filled} missing mark hours filled flat at the last close")
    rates = await adapter.get_funding_rates(contract.symbol)
    progress(f"funding rates: {len(rates)}")
    rate_frame = pl.DataFrame(
        {"timestamp": [r.timestamp for r in rates],
         "relative_rate": [float(r.relative_rate) for r in rates]},
        schema={"timestamp": pl.Datetime("us", "UTC"), "relative_rate": pl.Float64},
    )  # fmt: skip
    return with_funding_history(frame, rate_frame)


@dataclass
class Run:
    """What was run on what: the frame, its description, the contract and the costs."""

    frame: pl.DataFrame
    data: str
    contract: DerivativeInstrument
    costs: FuturesCosts
    equity: float


async def prepare(args: argparse.Namespace, progress: Progress) -> Run:
    """The contract, the frame with its target column, the costs and starting equity."""
    async with open_adapter(args) as adapter:
        contract = await load_contract(adapter, args.symbol)
        if args.source == "kraken":
            frame = await kraken_frame(adapter, contract, args.start, args.end, progress)
            data = (f"Kraken Futures {contract.symbol} hourly mark candles and historical "
                    f"funding rates ({args.futures_url})")  # fmt: skip
            basis = 0.0
        else:
            candles, path = local_candles(contract, args.data)
            frame = slice_candles(candles, args.start, args.end)
            frame, filled = regular_bars(frame, STEP)
            frame = with_stated_mark_and_funding(frame, args.basis, args.funding_rate)
            data = (f"Kraken SPOT {contract.base}/USD hourly candles ({path.name}) as the index; "
                    f"STATED mark = close x (1 {args.basis:+.4%}), STATED funding "
                    f"{args.funding_rate:+.5%} per period ({filled} missing hours "
                    f"filled flat)")  # fmt: skip
            basis = args.basis
    frame = slice_candles(frame, args.start, args.end)
    frame = frame.with_columns(
        sma_cross_target(frame["close"], args.fast, args.slow, args.leverage)
    )
    costs = FuturesCosts(
        taker_fee=args.taker_fee, slippage_bps=args.slippage_bps, basis=basis,
        funding_rate=args.funding_rate if args.source == "local" else 0.0,
        max_leverage=min(args.max_leverage, contract_max_leverage(contract)),
    )  # fmt: skip
    equity = args.equity
    if contract.settlement is Settlement.INVERSE:
        equity = args.equity / float(frame["mark"][0])
    return Run(frame, data, contract, costs, equity)


def log_mlflow(
    args: argparse.Namespace, run: Run, results: dict[str, FuturesBacktestResult],
    metrics: dict[str, float],
) -> str:  # fmt: skip
    """One MLflow run: parameters, both sides' figures, an equity plot and the fills."""
    from src.ml.plots import equity_plot
    from src.ml.tracking import MLflowTracker, quiet_mlflow

    quiet_mlflow()
    tracker = MLflowTracker(args.mlflow_uri)
    name = f"{run.contract.symbol} sma {args.fast}/{args.slow} x{args.leverage:g}"
    run_id = tracker.start_run(args.experiment, name, {"source": args.source, "kind": "rule"})
    frame = run.frame
    tracker.log_params({
        "symbol": run.contract.symbol, "source": args.source, "data": run.data,
        "start": str(frame["timestamp"][0]), "end": str(frame["timestamp"][-1]),
        "bars": frame.height, "fast": args.fast, "slow": args.slow, "leverage": args.leverage,
        "max_leverage": run.costs.max_leverage, "taker_fee": run.costs.taker_fee,
        "slippage_bps": run.costs.slippage_bps, "basis": run.costs.basis,
        "funding_rate": run.costs.funding_rate if args.source == "local" else "history",
        "initial_equity": run.equity, "settlement_currency": run.contract.settlement_currency,
    })  # fmt: skip
    tracker.log_metrics(metrics)
    with tempfile.TemporaryDirectory() as tmp:
        plot = equity_plot(
            {label: r.path for label, r in results.items()}, Path(tmp) / "equity.png",
            f"{name} vs buy-and-hold 1x (after fees and funding)",
        )  # fmt: skip
        tracker.log_artifact(plot, "plots")
        fills = Path(tmp) / "fills.csv"
        results["rule"].trades.write_csv(fills)
        tracker.log_artifact(fills)
    tracker.end_run()
    return run_id


def _progress(message: str) -> None:
    print(f"  ... {message}", file=sys.stderr, flush=True)


async def main(argv: list[str] | None = None) -> int:
    """Run the backtest; 0 on success, 2 for an unusable contract, range or data, 1 else."""
    args = parse_args(argv)
    where = "Kraken Futures public data (network)" if args.source == "kraken" else "OFFLINE"
    print(f"=== FUTURES BACKTEST - {where} - simulated, no orders are sent ===", flush=True)
    try:
        run = await prepare(args, _progress)
    except (UsageError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (TradingError, OSError) as exc:
        print(f"error: could not read {args.source} data: {exc}", file=sys.stderr)
        return 1
    frame, contract = run.frame, run.contract
    print(f"contract : {contract.symbol} ({contract.settlement.value} perpetual, lot "
          f"{contract.lot_step}, funding every {contract.funding_interval}, settles in "
          f"{contract.settlement_currency})")  # fmt: skip
    print(f"data     : {run.data}")
    print(f"range    : {frame['timestamp'][0]} to {frame['timestamp'][-1]} ({frame.height} bars)")
    print(f"rule     : SMA {args.fast}/{args.slow} long/short at {args.leverage:g}x (clamped to "
          f"{run.costs.max_leverage:g}x), decided at the close, filled at the next open; a "
          f"fixed rule, so no in/out-of-sample split")  # fmt: skip
    print(f"costs    : taker fee {run.costs.taker_fee:.4%}, slippage {run.costs.slippage_bps:g}"
          f" bp per fill; funding in every figure")  # fmt: skip
    _progress(f"backtesting {frame.height} bars twice (rule, buy-and-hold)")
    rule, hold = compare_with_buy_and_hold(frame, contract, run.costs, run.equity)
    rule_sum, hold_sum = summarize(rule, contract), summarize(hold, contract)
    print()
    print(format_comparison(rule_sum, hold_sum, contract.settlement_currency, "rule"))
    print(f"\nstarting equity {run.equity:,.8g} {contract.settlement_currency}; final = start + "
          f"PnL before costs - fees + funding")  # fmt: skip
    if args.source == "local":
        print("NOTE: basis and funding are STATED ASSUMPTIONS (--basis, --funding-rate), "
              "not Kraken's history; prices are spot, not futures trades.")  # fmt: skip
    if not args.no_mlflow:
        _progress(f"logging to MLflow at {args.mlflow_uri}")
        metrics = {**rule_sum.as_metrics(), **hold_sum.as_metrics("hold_")}
        run_id = log_mlflow(args, run, {"rule": rule, "buy-and-hold 1x": hold}, metrics)
        print(f"MLflow run {run_id} in experiment {args.experiment!r} ({args.mlflow_uri})")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
