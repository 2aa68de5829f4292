"""A FeatureSpec compiled once into polars expressions, reused by every ``build_features`` call.

Building the expressions of a spec (catalogue builders, names, shared inputs) is Python work
that cost about 2 ms per call, more than computing 25 features on a few hundred bars; a spec is
immutable, so the compiled plan is cached by the spec's content and by the catalogue builders
it used (a test that swaps a catalogue entry gets a fresh plan).
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

from src.ml.data.schema import parse_interval
from src.ml.features.catalogue import CATALOGUE, FeatureColumn, FeatureKind
from src.ml.features.spec import FeatureConfig, FeatureSpec

Named = list[tuple[str, FeatureColumn]]
"""Output columns with their final names (``rsi_14``, ``ret_1_4h``)."""


@dataclass(frozen=True)
class Stage:
    """The expressions of one timeframe: shared inputs first, then one per output column."""

    inputs: tuple[pl.Expr, ...]
    outputs: tuple[pl.Expr, ...]
    minutes: int = 0

    @classmethod
    def of(cls, columns: Named, minutes: int = 0) -> Stage:
        """The stage computing ``columns``, each distinct shared input once."""
        inputs = {e.meta.output_name(): e for _, col in columns for e in col.inputs}
        outputs = [col.expr.cast(pl.Float64).alias(name) for name, col in columns]
        return cls(tuple(inputs.values()), tuple(outputs), minutes)

    def apply(self, frame: pl.LazyFrame, *keep: pl.Expr) -> pl.LazyFrame:
        """``keep`` plus the output columns, each shared input computed once beforehand."""
        if self.inputs:
            frame = frame.with_columns(*self.inputs)
        return frame.select(*keep, *self.outputs)


@dataclass(frozen=True)
class Stages:
    """The base-timeframe stage and one stage per higher timeframe of a group of configs."""

    own: Stage
    higher: tuple[Stage, ...]

    def check(self, base: int) -> None:
        """Refuse a higher timeframe that is not a larger multiple of the base interval."""
        for stage in self.higher:
            if stage.minutes <= base or stage.minutes % base:
                raise ValueError(
                    f"timeframe {stage.minutes}m must be a larger multiple of the base "
                    f"interval {base}m"
                )


@dataclass(frozen=True)
class CrossTable:
    """One reference pair's columns attached to every row, and where they come from.

    ``stages`` is None when the pairs' own features already hold every wanted column with the
    same expression: the reference pair's own values are reused instead of computed again.
    """

    pair: str
    sources: tuple[str, ...]
    aliases: tuple[str, ...]
    stages: Stages | None


@dataclass(frozen=True)
class Plan:
    """Everything ``build_features`` needs from a spec, built once."""

    stages: Stages
    cross: tuple[CrossTable, ...]
    own_names: tuple[str, ...]
    needs_base: bool


def _named(configs: Iterable[FeatureConfig]) -> Named:
    out: Named = []
    for cfg in configs:
        suffix = f"_{cfg.timeframe}" if cfg.timeframe else ""
        out += [(f"{col.name}{suffix}", col) for col in cfg.columns()]
    return out


def _stages(configs: Iterable[FeatureConfig]) -> Stages:
    by_tf: dict[str, list[FeatureConfig]] = defaultdict(list)
    for cfg in configs:
        by_tf[cfg.timeframe or ""].append(cfg)
    own = Stage.of(_named(by_tf.pop("", [])))
    higher = tuple(Stage.of(_named(cfgs), parse_interval(tf)) for tf, cfgs in by_tf.items())
    return Stages(own, higher)


def _compile(spec: FeatureSpec) -> Plan:
    own_named = _named(spec.features)
    own_exprs = {name: col.expr for name, col in own_named}
    cross = []
    for ref in spec.cross_pairs:
        wanted = _named(ref.features)
        reuse = all(name in own_exprs and own_exprs[name].meta.eq(col.expr) for name, col in wanted)
        cross.append(
            CrossTable(
                ref.pair,
                tuple(name for name, _ in wanted),
                tuple(f"{ref.alias}_{name}" for name, _ in wanted),
                None if reuse else _stages(ref.features),
            )
        )
    tables = tuple(cross)
    needs_base = any(c.timeframe for c in spec.features) or any(
        c.timeframe for r in spec.cross_pairs for c in r.features
    )
    names = tuple(name for name, _ in own_named)
    return Plan(_stages(spec.features), tables, names, needs_base)


_CACHE: OrderedDict[tuple[object, ...], Plan] = OrderedDict()
_CACHE_SIZE = 64


def compile_spec(spec: FeatureSpec) -> Plan:
    """The compiled plan of ``spec``, built on first use and cached by its content.

    The key is the spec's JSON plus the identity of each catalogue entry it uses (entries are
    kept alive by the key, so an identity is never reused while cached).
    """
    kinds = sorted(
        {c.kind for c in spec.features} | {c.kind for r in spec.cross_pairs for c in r.features}
    )
    key = (spec.model_dump_json(), *(_Same(CATALOGUE[k]) for k in kinds))
    plan = _CACHE.get(key)
    if plan is None:
        plan = _CACHE[key] = _compile(spec)
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return plan


@dataclass(frozen=True, eq=False)
class _Same:
    """Hashes and compares by identity (a catalogue entry holds an unhashable dict)."""

    obj: FeatureKind

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.obj is self.obj
