"""Assemble the modelling table: candles + features + labels, with bar indices for purging."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from src.ml.config import DataConfig, ExperimentConfig
from src.ml.data.sources import read_kraken_ohlcvt_csv
from src.ml.data.validation import clean_candles
from src.ml.features import FeatureSpec, build_features, default_spec
from src.ml.labels import FWD_RETURN, LABEL, LABEL_END, make_labels
from src.ml.policy import side_cost

# Kraken's file names use its own asset codes.
_KRAKEN_ASSET = {"BTC": "XBT", "DOGE": "XDG"}
FeatureFn = Callable[[pl.DataFrame, Any], pl.DataFrame]


def kraken_altname(pair: str) -> str:
    """``BTC/USD`` -> ``XBTUSD`` (the prefix of Kraken's OHLCVT file names)."""
    base, _, quote = pair.partition("/")
    if not quote:
        raise ValueError(f"pair must look like 'BASE/QUOTE', got {pair!r}")
    return _KRAKEN_ASSET.get(base, base) + _KRAKEN_ASSET.get(quote, quote)


#: Where relative data paths fall back to when they do not exist under the working directory,
#: so the shipped config works from any directory (``src/ml/dataset.py`` -> two levels up).
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _resolve(path: str) -> Path:
    candidate = Path(path)
    if candidate.is_absolute() or candidate.exists():
        return candidate
    return PROJECT_ROOT / candidate


def candle_file(cfg: DataConfig, pair: str) -> Path:
    """The CSV for ``pair``: ``cfg.files[pair]`` or ``<data_dir>/<ALTNAME>_<interval>*.csv``.

    Relative paths are tried under the working directory first, then under the project root.
    """
    if pair in cfg.files:
        return _resolve(cfg.files[pair])
    pattern = f"{kraken_altname(pair)}_{cfg.interval_minutes}*.csv"
    matches = sorted(_resolve(cfg.data_dir).glob(pattern))
    if not matches:
        raise FileNotFoundError(f"no candle file {pattern} for {pair} in {cfg.data_dir}")
    return matches[0]


def _utc(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    # Config dates without an offset are UTC by convention (documented in docs/ml_training.md).
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def load_candles(cfg: DataConfig) -> pl.DataFrame:
    """Load, clean and slice every pair's candles into one frame with a ``pair`` column.

    Pairs are cut to their common time range first, so ``max_rows`` keeps the same recent
    period for every pair (the walk-forward test windows then hold every pair).
    """
    frames = []
    for pair in cfg.pairs:
        raw = read_kraken_ohlcvt_csv(candle_file(cfg, pair))
        frame, _ = clean_candles(raw, cfg.interval_minutes, pair=pair)
        if cfg.start:
            frame = frame.filter(pl.col("timestamp") >= _utc(cfg.start))
        if cfg.end:
            frame = frame.filter(pl.col("timestamp") < _utc(cfg.end))
        frames.append(frame.with_columns(pl.lit(pair).alias("pair")))
    empty = [p for p, f in zip(cfg.pairs, frames, strict=True) if f.height == 0]
    if empty:
        raise ValueError(f"no candles for {empty} in {cfg.start}..{cfg.end}")
    first = max(f["timestamp"].min() for f in frames if f.height)  # type: ignore[type-var]
    last = min(f["timestamp"].max() for f in frames if f.height)  # type: ignore[type-var]
    out = []
    for pair, frame in zip(cfg.pairs, frames, strict=True):
        frame = frame.filter(pl.col("timestamp").is_between(first, last))
        if cfg.max_rows:
            frame = frame.tail(cfg.max_rows)
        if frame.height == 0:
            raise ValueError(f"{pair}: no candles in the common range {cfg.start}..{cfg.end}")
        out.append(frame)
    return pl.concat(out, how="diagonal_relaxed").sort("pair", "timestamp")


def data_hash(candles: pl.DataFrame) -> str:
    """SHA-256 over the raw column values, stable across runs and polars versions."""
    digest = hashlib.sha256()
    for name in sorted(candles.columns):
        col = candles[name]
        digest.update(name.encode())
        if col.dtype == pl.Utf8:
            digest.update("\x1f".join(col.to_list()).encode())
        else:
            digest.update(col.to_physical().to_numpy().tobytes())
    return digest.hexdigest()


def resolve_spec(config: ExperimentConfig) -> FeatureSpec:
    """The config's feature spec, or the default (with BTC/USD cross-pair features if traded)."""
    if config.features is not None:
        return FeatureSpec.from_dict(config.features)
    ref = "BTC/USD" if "BTC/USD" in config.data.pairs and len(config.data.pairs) > 1 else None
    return default_spec(reference_pair=ref)


@dataclass(frozen=True)
class Dataset:
    """Rows with valid features, time-sorted, with everything the walk-forward loop needs.

    Attributes:
        frame: ``timestamp, pair, open, close, fwd_return, label`` plus feature columns.
        feature_names: Feature columns in model order.
        x: Feature matrix (rows of ``frame``).
        bar_index: Per-row position of the timestamp among the unique timestamps.
        label_end_index: Per-row position of the label's last bar (-1 when unlabeled).
        n_bars: Number of unique timestamps.
    """

    frame: pl.DataFrame
    feature_names: list[str]
    x: np.ndarray
    bar_index: np.ndarray
    label_end_index: np.ndarray
    n_bars: int

    @property
    def labeled(self) -> np.ndarray:
        """Rows with a label."""
        return self.frame[LABEL].is_not_null().to_numpy()


def build_dataset(
    candles: pl.DataFrame,
    config: ExperimentConfig,
    spec: FeatureSpec,
    features: FeatureFn = build_features,
) -> Dataset:
    """Join features and labels on (timestamp, pair) and drop feature warm-up rows."""
    feats = features(candles, spec)
    names = [c for c in feats.columns if c not in ("timestamp", "pair")]
    labels = make_labels(candles, config.label, side_cost(config.costs))  # fee+spread+slippage
    table = (
        candles.select("timestamp", "pair", "open", "close")
        .join(feats, on=["timestamp", "pair"], how="inner")
        .join(labels, on=["timestamp", "pair"], how="left")
        .filter(pl.all_horizontal(pl.col(names).is_not_null() & pl.col(names).is_finite()))
        .sort("timestamp", "pair")
    )
    if table.height == 0:
        raise ValueError("no rows left after feature warm-up; use more data")
    uniq = table["timestamp"].unique().sort()
    ts = uniq.to_physical().to_numpy()
    bar = np.searchsorted(ts, table["timestamp"].to_physical().to_numpy())
    end = table[LABEL_END]
    end_idx = np.searchsorted(ts, end.to_physical().fill_null(0).to_numpy())
    # A label ending after the last usable bar still counts as reaching beyond every window.
    end_idx = np.where(end.is_null().to_numpy() | table[LABEL].is_null().to_numpy(), -1, end_idx)
    table = table.select("timestamp", "pair", "open", "close", FWD_RETURN, LABEL, *names)
    x = table.select(names).to_numpy().astype(np.float64)
    return Dataset(table, names, x, bar, end_idx, len(ts))
