"""Build feature frames from candles and a FeatureSpec: one code path for training and live use."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

import polars as pl

from src.ml.data.resample import resample
from src.ml.data.schema import TIMESTAMP, parse_interval
from src.ml.features.catalogue import FeatureColumn
from src.ml.features.spec import FeatureConfig, FeatureSpec, default_spec

PAIR = "pair"
_SINGLE = "__single_pair__"
_KNOWN_AT = "__known_at__"
_REQUIRED = ("timestamp", "open", "high", "low", "close", "volume")


def _prepare(candles: pl.DataFrame | pl.LazyFrame) -> tuple[pl.DataFrame, bool]:
    """Check and normalise the input: required columns, UTC time, no nulls, unique bars."""
    frame = candles.collect() if isinstance(candles, pl.LazyFrame) else candles
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise ValueError(f"candles are missing columns {missing}; need {list(_REQUIRED)}")
    has_pair = PAIR in frame.columns
    ts_type = frame.schema[TIMESTAMP]
    if not isinstance(ts_type, pl.Datetime):
        raise ValueError(f"'timestamp' must be a Datetime column, got {ts_type}")
    ts = pl.col(TIMESTAMP)
    ts = ts.dt.replace_time_zone("UTC") if ts_type.time_zone is None else ts
    cols = [
        (pl.col(PAIR).cast(pl.String) if has_pair else pl.lit(_SINGLE)).alias(PAIR),
        ts.dt.convert_time_zone("UTC").dt.cast_time_unit("us").alias(TIMESTAMP),
        *[pl.col(c).cast(pl.Float64) for c in _REQUIRED[1:]],
    ]
    frame = frame.select(cols)
    nulls = {c: n for c, n in zip(frame.columns, frame.null_count().row(0), strict=True) if n}
    nans = frame.select(pl.col(_REQUIRED[1:]).is_nan().sum()).row(0, named=True)
    nulls.update({c: n for c, n in nans.items() if n})
    if nulls:
        raise ValueError(
            f"candles contain nulls/NaN {nulls}; clean them first (src.ml.data.clean_candles)"
        )
    pair, prev_pair = pl.col(PAIR), pl.col(PAIR).shift()
    ts, prev_ts = pl.col(TIMESTAMP), pl.col(TIMESTAMP).shift()
    # Input from the candle store is usually sorted already: one pass proving (pair, time)
    # strictly increasing is cheaper than sorting, and also rules out duplicate bars.
    increasing = (pair > prev_pair) | ((pair == prev_pair) & (ts > prev_ts))
    if frame.select(increasing.fill_null(True).all()).item():
        return frame, has_pair
    frame = frame.sort(PAIR, TIMESTAMP)
    if frame.select(((ts == prev_ts) & (pair == prev_pair)).any()).item():
        raise ValueError("candles contain duplicate timestamps for one pair; deduplicate first")
    return frame, has_pair


def _base_minutes(frame: pl.DataFrame, spec: FeatureSpec) -> int:
    if spec.base_interval is not None:
        return parse_interval(spec.base_interval)
    # Rows are sorted by (pair, time): a step counts only where the pair did not change.
    same_pair = pl.col(PAIR) == pl.col(PAIR).shift()
    step = frame.select(pl.col(TIMESTAMP).diff().filter(same_pair).min()).item()
    if step is None:
        raise ValueError("cannot infer the candle interval from fewer than two bars per pair")
    return parse_interval(step)


Named = list[tuple[str, FeatureColumn]]
"""Output columns with their final names (``rsi_14``, ``ret_1_4h``)."""


class _Columns:
    """Each config's named output columns, built once per ``build_features`` call.

    Building the expressions is Python work that showed up in profiles when repeated for the
    stages, the cross-pair check and the output order; configs are keyed by identity, so the
    memo lives only as long as the call that holds the configs.
    """

    def __init__(self) -> None:
        self._memo: dict[int, Named] = {}

    def __call__(self, configs: Iterable[FeatureConfig]) -> Named:
        out: Named = []
        for cfg in configs:
            named = self._memo.get(id(cfg))
            if named is None:
                suffix = f"_{cfg.timeframe}" if cfg.timeframe else ""
                named = [(f"{col.name}{suffix}", col) for col in cfg.columns()]
                self._memo[id(cfg)] = named
            out += named
        return out


@dataclass(frozen=True)
class _Stage:
    """The expressions of one timeframe: shared inputs first, then one per output column."""

    inputs: tuple[pl.Expr, ...]
    outputs: tuple[pl.Expr, ...]
    minutes: int = 0

    @classmethod
    def of(cls, columns: Named, minutes: int = 0) -> _Stage:
        inputs = {e.meta.output_name(): e for _, col in columns for e in col.inputs}
        outputs = [col.expr.cast(pl.Float64).alias(name) for name, col in columns]
        return cls(tuple(inputs.values()), tuple(outputs), minutes)

    def apply(self, frame: pl.LazyFrame, *keep: pl.Expr) -> pl.LazyFrame:
        """``keep`` plus the output columns, each shared input computed once beforehand."""
        if self.inputs:
            frame = frame.with_columns(*self.inputs)
        return frame.select(*keep, *self.outputs)


def _stages(
    configs: Iterable[FeatureConfig], base: int, named: _Columns
) -> tuple[_Stage, list[_Stage]]:
    """The base-timeframe stage and one stage per higher timeframe, built once for all pairs."""
    by_tf: dict[str, list[FeatureConfig]] = defaultdict(list)
    for cfg in configs:
        by_tf[cfg.timeframe or ""].append(cfg)
    own = _Stage.of(named(by_tf.pop("", [])))
    higher = []
    for tf, cfgs in by_tf.items():
        minutes = parse_interval(tf)
        if minutes <= base or minutes % base:
            raise ValueError(
                f"timeframe {minutes}m must be a larger multiple of the base interval {base}m"
            )
        higher.append(_Stage.of(named(cfgs), minutes))
    return own, higher


def _pair_features(
    part: pl.DataFrame, own: _Stage, higher: list[_Stage], base: int
) -> pl.LazyFrame:
    """All features (base and higher timeframes) for one pair's time-sorted candles."""
    lazy = part.lazy()
    out = own.apply(lazy, pl.col(PAIR), pl.col(TIMESTAMP))
    if higher:
        # A base bar opening at t is complete at t + base; a higher bar is usable only by rows
        # whose own close is at or after the higher bar's close (never the forming bar).
        out = out.with_columns((pl.col(TIMESTAMP) + timedelta(minutes=base)).alias(_KNOWN_AT))
        for stage in higher:
            # Higher bars are keyed by the time they are known: their close.
            known_at = (pl.col(TIMESTAMP) + timedelta(minutes=stage.minutes)).alias(_KNOWN_AT)
            htf = stage.apply(resample(lazy.drop(PAIR), stage.minutes), known_at)
            out = out.join_asof(htf, on=_KNOWN_AT, strategy="backward")
        out = out.drop(_KNOWN_AT)
    return out


def _features(
    parts: Iterable[pl.DataFrame], configs: Iterable[FeatureConfig], base: int, named: _Columns
) -> pl.LazyFrame:
    """Features of every pair, each pair (one element of ``parts``) on its own time series.

    Splitting by pair and concatenating measured ~30% faster than ``.over("pair")`` on every
    expression, with identical values (each pair's expressions never see another pair's rows).
    The expressions are built once and reused by every pair's plan.
    """
    own, higher = _stages(configs, base, named)
    return pl.concat([_pair_features(part, own, higher, base) for part in parts])


def _collect(lazy: pl.LazyFrame) -> pl.DataFrame:
    # The in-memory engine: every feature is a window over a whole pair's series, where the
    # streaming engine (polars' default) measured ~30% slower on this workload.
    return lazy.collect(engine="in-memory")


def _cross_pair(
    parts: dict[str, pl.DataFrame],
    spec: FeatureSpec,
    base: int,
    own: pl.LazyFrame,
    named: _Columns,
) -> list[pl.LazyFrame]:
    """One table per reference pair: ``timestamp`` plus its features, prefixed by the alias."""
    tables: list[pl.LazyFrame] = []
    own_exprs = {name: col.expr for name, col in named(spec.features)}
    for ref in spec.cross_pairs:
        if ref.pair not in parts:
            raise ValueError(
                f"cross-pair reference {ref.pair!r} not in the candles' pairs {sorted(parts)}"
            )
        wanted = named(ref.features)
        names = [name for name, _ in wanted]
        prefixed = [pl.col(name).alias(f"{ref.alias}_{name}") for name in names]
        if all(name in own_exprs and own_exprs[name].meta.eq(col.expr) for name, col in wanted):
            # The pairs' own features already hold these columns (same name, same expression):
            # reuse the reference pair's values rather than computing them again.
            table = own.filter(pl.col(PAIR) == ref.pair)
        else:
            table = _features([parts[ref.pair]], ref.features, base, named)
        tables.append(table.select(TIMESTAMP, *prefixed))
    return tables


def build_features(
    candles: pl.DataFrame | pl.LazyFrame, spec: FeatureSpec | None = None
) -> pl.DataFrame:
    """Compute the feature frame for candles, causally (each row sees only bars up to its own).

    Args:
        candles: Columns ``timestamp, open, high, low, close, volume`` (UTC; naive means UTC),
            plus ``pair`` for several pairs (each computed separately). One bar per timestamp
            and pair, no nulls (see :func:`src.ml.data.clean_candles`).
        spec: The pipeline; :func:`default_spec` if None.

    Returns:
        ``timestamp`` (and ``pair`` if given) plus one Float64 column per feature, sorted by
        pair then time, one row per input row. Warm-up rows are null (see ``spec.warmups()``).
        Cross-pair columns are null where the reference pair has no bar at that timestamp.

    Raises:
        ValueError: On missing columns, nulls, duplicate bars, an unknown cross-pair reference
            or a timeframe that is not a larger multiple of the base interval.
    """
    spec = spec or default_spec()
    frame, has_pair = _prepare(candles)
    needs_base = any(c.timeframe for c in spec.features) or any(
        c.timeframe for r in spec.cross_pairs for c in r.features
    )
    base = _base_minutes(frame, spec) if needs_base else 0
    if spec.cross_pairs and not has_pair:
        raise ValueError("cross-pair features need a 'pair' column in the candles")
    by_pair = {str(key[0]): part for key, part in frame.partition_by(PAIR, as_dict=True).items()}
    named = _Columns()
    own = _features(list(by_pair.values()) or [frame], spec.features, base, named)
    out = own
    # One lazy plan: polars computes ``own`` once and feeds both sides of each join from it.
    for table in _cross_pair(by_pair, spec, base, own, named):
        out = out.join(table, on=TIMESTAMP, how="left", maintain_order="left")
    names = [name for name, _ in named(spec.features)] + [
        f"{ref.alias}_{name}" for ref in spec.cross_pairs for name, _ in named(ref.features)
    ]
    result = _collect(out.select(PAIR, TIMESTAMP, *names))
    return result if has_pair else result.drop(PAIR)
