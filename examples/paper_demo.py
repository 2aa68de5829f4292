"""The main job: train a model on the shipped data, trade it on the paper exchange, reconcile.

    python examples/paper_demo.py              # about two minutes on a laptop
    python examples/paper_demo.py --duration 90 --skip-training

1. Walk-forward training of the default experiment on the shipped Kraken hourly candles, tracked
   in MLflow (``sqlite:///mlflow.db`` unless MLFLOW_TRACKING_URI says otherwise); a model that
   beats the champion out of sample becomes the ``champion``.
2. The champion (or, if this run did not earn the title, this run's model) trades BTC/USD and
   ETH/USD on the local Kraken-compatible paper exchange replaying recorded Kraken data, through
   the same runtime, risk limits and order manager as live trading.
3. A summary of trades, fees, positions and PnL from the runtime's database, next to the same
   figures rebuilt from the exchange's own trade history and balances.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl

from src.app.paths import DEFAULT_RISK_CONFIG
from src.app.session import SessionSettings, Venue, build_runtime, paper_venue
from src.app.summary import summarize
from src.cli.strategies import alias_run_id, newest_model_run
from src.core.market_data import Candle
from src.core.risk import RiskLimits
from src.ml.config import DEFAULT_CONFIG_PATH, ExperimentConfig, load_config
from src.ml.dataset import load_candles
from src.ml.live_strategy import ModelStrategy
from src.ml.tracking import quiet_mlflow
from src.ml.train import train
from src.utils.logging import configure_logging
from src.venues.kraken_paper.sources import ReplaySource

#: Two hours of recorded market per real second: a minute of demo trades five recorded days.
DEMO_SPEED = 7200.0
#: The demo replays the last days of the shipped data: inside the final holdout, which no
#: training fold and no model selection read, so what the model trades is out of sample.
REPLAY_DAYS = 7


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line (``argv`` defaults to ``sys.argv[1:]``)."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--config", type=Path, default=DEFAULT_CONFIG_PATH, help="experiment TOML")
    p.add_argument("--duration", type=float, default=60.0, help="paper trading seconds")
    p.add_argument("--skip-training", action="store_true", help="trade the existing champion")
    p.add_argument("--risk-config", type=Path, default=DEFAULT_RISK_CONFIG)
    p.add_argument("--db", type=Path, default=Path("data/runtime/paper_demo.sqlite"))
    return p.parse_args(argv)


def step(n: int, text: str) -> None:
    """Print the heading of demo step ``n`` of 3."""
    print(f"\n=== {n}/3 {text} ===", flush=True)


def load_strategy(
    symbols: list[str], run_id: str | None, registered: bool, experiment: str, model_name: str
) -> ModelStrategy:
    """The model to trade: the registered champion, else this run's or the newest run's model.

    Raises:
        LookupError: No model in the registry and no finished run of ``experiment``.
    """
    if registered or (run_id is None and alias_run_id(None, model_name, "champion")):
        print("trading the registered champion model")
        return ModelStrategy.from_registry(symbols, model_name)
    if run_id is None:
        run_id, name = newest_model_run(None, experiment)
        print(f"!! no model is champion: trading the newest run's model, {name} (run {run_id})")
        return ModelStrategy.from_run(symbols, run_id)
    print(f"this run did not become champion; trading its own model (run {run_id})")
    return ModelStrategy.from_run(symbols, run_id)


def replay_plan(config: ExperimentConfig) -> tuple[datetime, dict[str, list[Candle]]]:
    """Where the replay starts (``REPLAY_DAYS`` before the data ends) and the bars before it.

    The model's features need more history (``warmup_candles``) than any exchange serves
    (Kraken's OHLC: 720 bars; the paper exchange: 12 hours), so the recorded bars before the
    replay are loaded from the same files the exchange replays.
    """
    candles = load_candles(config.data)
    end: datetime = candles["timestamp"].max()  # type: ignore[assignment]
    start = (end - timedelta(days=REPLAY_DAYS)).replace(minute=0, second=0, microsecond=0)
    history: dict[str, list[Candle]] = {}
    for pair in config.data.pairs:
        rows = candles.filter((pl.col("pair") == pair) & (pl.col("timestamp") < start))
        history[pair] = [
            Candle(
                symbol=pair, interval_minutes=config.data.interval_minutes,
                timestamp=r["timestamp"], open=Decimal(str(r["open"])),
                high=Decimal(str(r["high"])), low=Decimal(str(r["low"])),
                close=Decimal(str(r["close"])), volume=Decimal(str(r["volume"])),
            )
            for r in rows.iter_rows(named=True)
        ]  # fmt: skip
    return start, history


async def prime(strategy: ModelStrategy, venue: Venue, history: dict[str, list[Candle]]) -> None:
    """Give the model the recorded bars before the replay, stamped on the exchange's clock.

    The exchange shows recorded time ``t`` at its own time ``t - offset`` (it backfilled half a
    day before trading); each bar is moved by that offset and kept only if it ends before the
    first bar the exchange serves, so the strategy sees one continuous series.
    """
    exchange = venue.exchange
    assert exchange is not None and isinstance(exchange.source, ReplaySource)
    offset = timedelta(seconds=exchange.source.sim_t - exchange.now())
    for symbol, bars in history.items():
        served = await venue.adapter.fetch_candles(symbol, strategy.interval_minutes)
        first = served[0].timestamp if served else exchange.clock.now()
        moved = [
            bar.model_copy(update={"timestamp": (bar.timestamp - offset).replace(
                minute=0, second=0, microsecond=0)})
            for bar in bars
        ]  # fmt: skip
        strategy.prime([bar for bar in moved if bar.timestamp < first][-strategy.history :])


async def paper_trade(
    strategy: ModelStrategy, limits: RiskLimits, db: Path, duration: float, config: ExperimentConfig
) -> bool:
    """Paper trade ``strategy`` for ``duration`` seconds and print the session summary.

    Returns:
        True if the runtime's books agree with the exchange's records.
    """
    settings = SessionSettings(db_path=db, limits=limits, capital_per_pair=Decimal(200))
    start, history = replay_plan(config)
    async with paper_venue(speed=DEMO_SPEED, replay_start=start) as venue:
        await prime(strategy, venue, history)
        runtime = build_runtime(venue, strategy, settings, status_sink=_status)
        print(
            f"paper exchange at {venue.adapter.base_url}, replaying Kraken's recorded market "
            f"from {start:%Y-%m-%d %H:%M} UTC (the final holdout: out of sample); the model's "
            f"{strategy.warmup_candles}-bar warm-up comes from the recorded bars before it"
        )
        await runtime.run(duration)
        step(3, "Summary: runtime database vs the exchange's own records")
        summary = await summarize(runtime, venue.adapter)
        print(summary.table())
        return summary.agrees


def _status(line: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {line}", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Train (unless ``--skip-training``), paper trade and compare the books.

    Returns:
        The process exit status: 0 if the books agree, 1 if not, 2 without a model.
    """
    args = parse_args(argv)
    Path("logs").mkdir(exist_ok=True)
    log_file = Path("logs") / "paper_demo.jsonl"
    configure_logging(json=True, stream=log_file.open("a", encoding="utf-8"), force=True)
    quiet_mlflow()
    config = load_config(args.config)
    run_id, registered = None, False
    if not args.skip_training:
        step(1, f"Training {config.name} on {', '.join(config.data.pairs)} (MLflow)")
        result = train(config)
        print(result.report)  # quant report vs buy-and-hold and the null, and the gate
        print(f"MLflow run {result.run_id}; champion: {'yes' if result.registered else 'no'}")
        run_id, registered = result.run_id, result.registered
    try:
        tracking = config.tracking
        strategy = load_strategy(
            list(config.data.pairs), run_id, registered, tracking.experiment,
            tracking.registered_model,
        )  # fmt: skip
    except LookupError as exc:
        print(f"error: {exc}; run without --skip-training to train one", file=sys.stderr)
        return 2
    args.db.unlink(missing_ok=True)  # a fresh book each demo: the summary covers this run only
    step(2, f"Paper trading for {args.duration:.0f} s (PAPER - no real money)")
    limits = RiskLimits.from_toml(args.risk_config)
    agrees = asyncio.run(paper_trade(strategy, limits, args.db, args.duration, config))
    print("\nbooks agree with the exchange" if agrees else "\nMISMATCH with the exchange records")
    print(f"logs: {log_file}")
    return 0 if agrees else 1


if __name__ == "__main__":
    sys.exit(main())
