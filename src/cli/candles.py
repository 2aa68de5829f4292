"""Where ``train`` and ``backtest`` get candles: the candle store, else the experiment's CSVs.

``ktrade download`` fills the candle store (``<data dir>/candles``, parquet per pair and
interval). A command asked for pairs the store holds reads them there; otherwise it falls
back to the Kraken OHLCVT CSV files the experiment config names (the shipped ones under
``data/market/`` in a source checkout).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from src.cli.errors import CliError
from src.core.instruments import Instrument
from src.core.market_data import Candle
from src.ml.config import DataConfig, ExperimentConfig, instruments_from
from src.ml.data.store import CandleStore

if TYPE_CHECKING:
    from src.ml.retraining import RetrainingStrategy


def candle_store(data_dir: Path) -> CandleStore:
    """The candle store ``download`` writes and ``train``/``backtest`` read."""
    return CandleStore(data_dir / "candles")


def parse_time(text: str | None, option: str) -> datetime | None:
    """An ISO date or date-time as UTC (no offset means UTC).

    Raises:
        CliError: not a date.
    """
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise CliError(
            f"{option} {text!r} is not a date", f"write e.g. {option} 2023-01-31"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@dataclass(frozen=True)
class Loaded:
    """One pair's candles and where they came from."""

    pair: str
    frame: pl.DataFrame
    source: str


def _from_files(pair: str, interval: int, data: DataConfig) -> Loaded:
    from src.ml.data.sources import read_kraken_ohlcvt_csv
    from src.ml.data.validation import clean_candles
    from src.ml.dataset import candle_file

    try:
        path = candle_file(data.model_copy(update={"interval_minutes": interval}), pair)
    except FileNotFoundError as exc:
        unknown_pair(pair)
        raise CliError(
            f"no {interval}-minute candles for {pair}: not in the candle store, and {exc}",
            f"run `ktrade download --pairs {pair} --interval {interval}` first",
        ) from None
    frame, _ = clean_candles(read_kraken_ohlcvt_csv(path), interval, pair=pair)
    return Loaded(pair, frame, str(path))


def unknown_pair(pair: str) -> None:
    """Raise when Kraken lists no ``pair`` (by the shipped catalogue), naming close ones.

    A typo otherwise reads as missing data and sends the user to download a pair that does
    not exist. Without the catalogue (a wheel without its data) nothing is said here.

    Raises:
        CliError: ``pair`` is not a Kraken pair.
    """
    import difflib

    try:
        from src.venues.kraken_paper.pairs import PAIRS
    except (OSError, ValueError):
        return
    known = sorted({spec.symbol for spec in PAIRS.values()})
    if pair in known:
        return
    close = difflib.get_close_matches(pair, known, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise CliError(
        f"unknown symbol {pair!r}{hint}",
        "write pairs as BASE/QUOTE, e.g. BTC/USD; `ktrade universe` lists them",
    )


def load(
    pairs: list[str],
    interval: int,
    store: CandleStore,
    data: DataConfig,
    *,
    source: str = "auto",
) -> list[Loaded]:
    """Each pair's full candle history (store first unless ``source`` says ``files``).

    Raises:
        CliError: a pair has no candles at ``interval`` anywhere.
    """
    out = []
    for pair in pairs:
        if source != "files" and store.exists(pair, interval):
            out.append(Loaded(pair, store.read(pair, interval), str(store.path(pair, interval))))
        elif source == "store":
            raise CliError(
                f"no {interval}-minute candles for {pair} in the candle store {store.root}",
                f"run `ktrade download --pairs {pair} --interval {interval}`",
            )
        else:
            out.append(_from_files(pair, interval, data))
    return out


def to_candles(pair: str, interval: int, frame: pl.DataFrame) -> list[Candle]:
    """The frame's rows as the runtime's ``Candle`` objects (Decimal from the float's repr)."""
    rows = frame.select("timestamp", "open", "high", "low", "close", "volume").iter_rows()
    return [
        Candle(
            symbol=pair,
            interval_minutes=interval,
            timestamp=ts,
            open=Decimal(repr(o)),
            high=Decimal(repr(h)),
            low=Decimal(repr(lo)),
            close=Decimal(repr(c)),
            volume=Decimal(repr(v)),
        )
        for ts, o, h, lo, c, v in rows
    ]


def export_ohlcvt(loaded: list[Loaded], interval: int, folder: Path) -> dict[str, str]:
    """Write the candles as Kraken OHLCVT CSVs (what the training config reads); pair -> path."""
    from src.ml.dataset import kraken_altname

    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for item in loaded:
        path = folder / f"{kraken_altname(item.pair)}_{interval}.csv"
        item.frame.select(
            pl.col("timestamp").dt.epoch("s"), "open", "high", "low", "close", "volume", "trades"
        ).write_csv(path, include_header=False)
        files[item.pair] = str(path)
    return files


def instruments(
    pairs: list[str], experiment: ExperimentConfig
) -> tuple[dict[str, Instrument], list[str]]:
    """Tick, lot and minimums per pair: the experiment's, else Kraken's (paper catalogue).

    Returns:
        The instruments, and the pairs for which neither knew (given a fine generic grid).
    """
    from src.venues.kraken_paper.pairs import PAIRS

    known = instruments_from(experiment)
    catalogue = {spec.symbol: spec for spec in PAIRS.values()}
    out: dict[str, Instrument] = {}
    guessed = []
    for pair in pairs:
        base, _, quote = pair.partition("/")
        if pair in known:
            out[pair] = known[pair]
        elif pair in catalogue:
            spec = catalogue[pair]
            out[pair] = Instrument(
                symbol=pair,
                base=base,
                quote=quote,
                price_tick=Decimal(1).scaleb(-spec.pair_decimals),
                lot_step=Decimal(1).scaleb(-spec.lot_decimals),
                min_quantity=spec.ordermin,
                min_cost=spec.costmin,
            )
        else:
            guessed.append(pair)
            out[pair] = Instrument(
                symbol=pair,
                base=base,
                quote=quote,
                price_tick=Decimal("1e-8"),
                lot_step=Decimal("1e-8"),
            )
    return out, guessed


def stored_history(
    store: CandleStore, data: DataConfig, interval: int
) -> Callable[[str, datetime, int], list[Candle]]:
    """Stored candles before a time, for a retrain window to start with (``History``).

    Each pair is read once, from the candle store, else the experiment's files (``load``); a
    pair stored nowhere has no history (its window fills from the session).
    """
    frames: dict[str, pl.DataFrame | None] = {}

    def before(pair: str, at: datetime, n: int) -> list[Candle]:
        if pair not in frames:
            try:
                frames[pair] = load([pair], interval, store, data)[0].frame
            except CliError:
                frames[pair] = None
        frame = frames[pair]
        if frame is None:
            return []
        earlier = frame.filter(pl.col("timestamp") < at).tail(n)
        return to_candles(pair, interval, earlier)

    return before


def seed_retraining(strategy: RetrainingStrategy, data_dir: Path, data: DataConfig) -> None:
    """Start ``strategy``'s retrain window from ``data_dir``'s candles, not empty.

    The candle store there, else the experiment's shipped files (``stored_history``).
    """
    store = candle_store(data_dir)
    strategy.history = stored_history(store, data, strategy.interval_minutes)
