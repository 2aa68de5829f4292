"""The feature pipeline declared as configuration: which features, windows, timeframes, pairs."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from src.ml.data.schema import interval_label, parse_interval
from src.ml.features.catalogue import CATALOGUE, FeatureColumn, feature_columns

_ALIAS_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class FeatureConfig(BaseModel):
    """One entry of the pipeline: a catalogue kind with windows, parameters and a timeframe.

    Attributes:
        kind: A key of :data:`src.ml.features.catalogue.CATALOGUE` (``"rsi"``, ``"macd"``, ...).
        windows: Window lengths / horizons in bars of ``timeframe``; the kind's default if None.
        params: Extra parameters of the kind (e.g. ``num_std`` for ``bollinger``).
        timeframe: Compute on candles resampled to this interval (``"1h"``, ``"4h"``) and
            attach each value only once its higher-timeframe bar has closed. None = base bars.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str
    windows: tuple[int, ...] | None = None
    params: dict[str, float | int | bool] = Field(default_factory=dict)
    timeframe: str | None = None

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in CATALOGUE:
            raise ValueError(f"unknown feature kind {value!r}; known: {sorted(CATALOGUE)}")
        return value

    @field_validator("windows")
    @classmethod
    def _positive_windows(cls, value: tuple[int, ...] | None) -> tuple[int, ...] | None:
        if value is not None and (not value or min(value) < 1):
            raise ValueError(f"windows must be a non-empty list of positive ints, got {value}")
        return value

    @field_validator("timeframe")
    @classmethod
    def _valid_timeframe(cls, value: str | None) -> str | None:
        return None if value is None else interval_label(parse_interval(value))

    @model_validator(mode="after")
    def _check_params(self) -> FeatureConfig:
        entry = CATALOGUE[self.kind]
        if self.windows is not None and not entry.windowed:
            raise ValueError(f"feature {self.kind!r} takes no windows")
        self.columns()  # raises on unknown parameters
        return self

    def columns(self) -> list[FeatureColumn]:
        """Return the output columns (names before any timeframe or pair prefix/suffix)."""
        return feature_columns(self.kind, self.windows, self.params)


class CrossPairRef(BaseModel):
    """Features of another pair attached to every pair's rows (e.g. BTC returns for ETH).

    Attributes:
        pair: Value of the ``pair`` column whose features are used.
        alias: Prefix of the output columns (``"btc"`` -> ``btc_ret_1``).
        features: The features to compute on that pair.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    pair: str
    alias: str
    features: tuple[FeatureConfig, ...]

    @field_validator("alias")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not _ALIAS_RE.match(value):
            raise ValueError(f"alias must be lower-case snake_case, got {value!r}")
        return value


class FeatureSpec(BaseModel):
    """A whole feature pipeline, used unchanged by training, backtest and live inference.

    Attributes:
        features: Features of each pair's own candles.
        cross_pairs: Features of reference pairs joined onto every row by timestamp.
        base_interval: Interval of the input candles; inferred (smallest spacing) if None.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    features: tuple[FeatureConfig, ...]
    cross_pairs: tuple[CrossPairRef, ...] = ()
    base_interval: str | None = None

    @field_validator("base_interval")
    @classmethod
    def _valid_interval(cls, value: str | None) -> str | None:
        return None if value is None else interval_label(parse_interval(value))

    @model_validator(mode="after")
    def _unique_names(self) -> FeatureSpec:
        names = self.column_names()
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"feature spec produces duplicate columns {dupes}")
        return self

    def column_names(self) -> list[str]:
        """Return the output feature column names, in output order."""
        return [name for name, _ in self._named_warmups()]

    def warmups(self) -> dict[str, int]:
        """Return each output column's warm-up in bars of its own timeframe."""
        return dict(self._named_warmups())

    def _named_warmups(self) -> list[tuple[str, int]]:
        out: list[tuple[str, int]] = []
        for prefix, configs in [("", self.features)] + [
            (f"{ref.alias}_", ref.features) for ref in self.cross_pairs
        ]:
            for cfg in configs:
                suffix = f"_{cfg.timeframe}" if cfg.timeframe else ""
                out += [(f"{prefix}{c.name}{suffix}", c.warmup) for c in cfg.columns()]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureSpec:
        """Build a spec from a plain mapping (e.g. a parsed TOML or JSON table)."""
        return cls.model_validate(dict(data))

    @classmethod
    def from_toml(cls, source: str | Path, table: str | None = None) -> FeatureSpec:
        """Load a spec from a TOML file path or TOML text, optionally from a sub-table.

        Args:
            source: A path to a ``.toml`` file, or TOML text.
            table: Dotted name of the table holding the spec (e.g. ``"features"``); root if None.
        """
        path = Path(source) if isinstance(source, Path) or "\n" not in source else None
        text = path.read_text() if path is not None and path.exists() else str(source)
        data: Any = tomllib.loads(text)
        for key in table.split(".") if table else []:
            data = data[key]
        return cls.from_dict(data)


def default_spec(
    reference_pair: str | None = None,
    reference_alias: str = "btc",
    context_timeframe: str | None = "4h",
) -> FeatureSpec:
    """Return the default pipeline: every catalogue kind on the base bars plus 4h context.

    Args:
        reference_pair: If given (e.g. ``"BTC/USD"``), add that pair's 1- and 4-bar returns and
            realized volatility as cross-pair features (input then needs a ``pair`` column).
        reference_alias: Column prefix of the cross-pair features.
        context_timeframe: Timeframe of the higher-timeframe returns and RSI (must be a larger
            multiple of the candles' interval); None leaves them out.
    """
    features = [
        FeatureConfig(kind="returns", windows=(1, 4, 24)),
        FeatureConfig(kind="realized_vol", windows=(24,)),
        FeatureConfig(kind="rsi", windows=(14,)),
        FeatureConfig(kind="macd", params={"normalize": True}),
        FeatureConfig(kind="atr", windows=(14,), params={"normalize": True}),
        FeatureConfig(kind="bollinger", windows=(20,)),
        FeatureConfig(kind="volume_z", windows=(24,)),
        FeatureConfig(kind="candle_shape"),
        FeatureConfig(kind="time"),
    ]
    if context_timeframe is not None:
        features += [
            FeatureConfig(kind="returns", windows=(1, 6), timeframe=context_timeframe),
            FeatureConfig(kind="rsi", windows=(14,), timeframe=context_timeframe),
        ]
    cross: list[CrossPairRef] = []
    if reference_pair is not None:
        cross.append(
            CrossPairRef(
                pair=reference_pair,
                alias=reference_alias,
                features=(
                    FeatureConfig(kind="returns", windows=(1, 4)),
                    FeatureConfig(kind="realized_vol", windows=(24,)),
                ),
            )
        )
    return FeatureSpec(features=tuple(features), cross_pairs=tuple(cross))
