"""Build feature frames from candles and a FeatureSpec: one code path for training and live use."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from src.ml.data.resample import resample
from src.ml.data.schema import TIMESTAMP, parse_interval
from src.ml.features.inputs import PAIR, Candles, prepare
from src.ml.features.plan import CrossTable, Stages, compile_spec
from src.ml.features.spec import FeatureSpec, default_spec

_KNOWN_AT = "__known_at__"


def _base_minutes(candles: Candles, spec: FeatureSpec) -> int:
    if spec.base_interval is not None:
        return parse_interval(spec.base_interval)
    if candles.step is None:
        raise ValueError("cannot infer the candle interval from fewer than two bars per pair")
    return parse_interval(candles.step)


def _pair_features(part: pl.DataFrame, stages: Stages, base: int) -> pl.LazyFrame:
    """All features (base and higher timeframes) for one pair's time-sorted candles."""
    lazy = part.lazy()
    out = stages.own.apply(lazy, pl.col(PAIR), pl.col(TIMESTAMP))
    if stages.higher:
        # A base bar opening at t is complete at t + base; a higher bar is usable only by rows
        # whose own close is at or after the higher bar's close (never the forming bar).
        out = out.with_columns((pl.col(TIMESTAMP) + timedelta(minutes=base)).alias(_KNOWN_AT))
        for stage in stages.higher:
            # Higher bars are keyed by the time they are known: their close.
            known_at = (pl.col(TIMESTAMP) + timedelta(minutes=stage.minutes)).alias(_KNOWN_AT)
            htf = stage.apply(resample(lazy.drop(PAIR), stage.minutes), known_at)
            out = out.join_asof(htf, on=_KNOWN_AT, strategy="backward")
        out = out.drop(_KNOWN_AT)
    return out


def _collect(plans: list[pl.LazyFrame]) -> list[pl.DataFrame]:
    # One call for every pair: polars runs the plans side by side on its thread pool. The
    # in-memory engine: every feature is a window over a whole pair's series, where the
    # streaming engine (polars' default) measured ~30% slower on this workload.
    return pl.collect_all(plans, engine="in-memory")


def _cross_columns(
    frames: dict[str, pl.DataFrame], tables: list[tuple[CrossTable, pl.DataFrame]]
) -> dict[str, list[pl.DataFrame]]:
    """Per pair, the reference pairs' columns aligned to that pair's rows by timestamp.

    Both sides are sorted by time with unique times, so an as-of join with zero tolerance is an
    exact-time lookup in one merge pass (a hash join on the whole frame measured 2-3x slower);
    the values are gathered, so they are the reference pair's own values bit for bit. A pair
    with the reference's very timestamps takes its columns as they are.
    """
    out: dict[str, list[pl.DataFrame]] = {pair: [] for pair in frames}
    for table, values in tables:
        renamed = [pl.col(s).alias(a) for s, a in zip(table.sources, table.aliases, strict=True)]
        src = values.select(TIMESTAMP, *renamed)
        ref_times = values[TIMESTAMP]
        for pair, own in frames.items():
            times = own[TIMESTAMP]
            if times.len() == ref_times.len() and times.equals(ref_times):
                out[pair].append(src.drop(TIMESTAMP))
                continue
            joined = own.select(TIMESTAMP).join_asof(
                src, on=TIMESTAMP, strategy="backward", tolerance=timedelta(0)
            )
            out[pair].append(joined.drop(TIMESTAMP))
    return out


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
    plan = compile_spec(spec)
    checked = prepare(candles)
    frame, has_pair, parts = checked.frame, checked.has_pair, checked.parts
    base = _base_minutes(checked, spec) if plan.needs_base else 0
    if plan.needs_base:
        plan.stages.check(base)
        for table in plan.cross:
            if table.stages is not None:
                table.stages.check(base)
    if spec.cross_pairs and not has_pair:
        raise ValueError("cross-pair features need a 'pair' column in the candles")
    for table in plan.cross:
        if table.pair not in parts:
            raise ValueError(
                f"cross-pair reference {table.pair!r} not in the candles' pairs {sorted(parts)}"
            )
    if not parts:  # no rows: one empty frame still has every column
        parts = {"": frame}
    own = [_pair_features(part, plan.stages, base) for part in parts.values()]
    extra = [(t, t.stages) for t in plan.cross if t.stages is not None]
    done = _collect(own + [_pair_features(parts[t.pair], st, base) for t, st in extra])
    frames = dict(zip(parts, done, strict=False))
    computed = {id(t): f for (t, _), f in zip(extra, done[len(own) :], strict=True)}
    tables = [(t, computed.get(id(t), frames[t.pair])) for t in plan.cross]
    cross = _cross_columns(frames, tables)
    keep = [PAIR, TIMESTAMP] if has_pair else [TIMESTAMP]
    pieces = [
        pl.concat([f.select(*keep, *plan.own_names), *cross[pair]], how="horizontal")
        for pair, f in frames.items()
    ]
    return pl.concat(pieces, rechunk=False)
