"""The feature catalogue: every feature kind, its parameters, output columns and warm-up."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import polars as pl

from src.ml.features import indicators as ind

Params = Mapping[str, float | int | bool]


@dataclass(frozen=True)
class FeatureColumn:
    """One output column: its name, its expression and its warm-up in bars of its timeframe.

    ``warmup`` counts the leading rows that are null because the window is not yet full.
    ``pointwise`` columns depend on their own row only, so need no per-pair windowing.
    ``inputs`` are named intermediate series ``expr`` reads by column name; the pipeline
    computes each distinct one once per pair and timeframe, shared by every column reading it.
    ``memory`` lists the retention factor (1 - alpha) of each exponential average the value
    passes through in series (empty for finite windows): such a column never forgets its first
    bar, so a live window must be long enough for that bar's weight to vanish
    (see :mod:`src.ml.features.lookback`).
    """

    name: str
    expr: pl.Expr
    warmup: int
    pointwise: bool = False
    inputs: ind.Inputs = ()
    memory: tuple[float, ...] = ()


Builder = Callable[[tuple[int, ...], Params], list[FeatureColumn]]


@dataclass(frozen=True)
class FeatureKind:
    """A catalogue entry: default windows and parameters, a builder and a description."""

    kind: str
    description: str
    build: Builder
    default_windows: tuple[int, ...] = ()
    default_params: Mapping[str, float | int | bool] = field(default_factory=dict)

    @property
    def windowed(self) -> bool:
        """Whether the kind takes ``windows`` (one set of columns per window)."""
        return bool(self.default_windows)


def _returns(windows: tuple[int, ...], _: Params) -> list[FeatureColumn]:
    return [FeatureColumn(f"ret_{h}", ind.log_return(h), h) for h in windows]


def _realized_vol(windows: tuple[int, ...], _: Params) -> list[FeatureColumn]:
    return [FeatureColumn(f"rvol_{n}", ind.realized_volatility(n), n) for n in windows]


def _wilder(n: int) -> tuple[float]:
    return (1.0 - 1.0 / n,)


def _span(span: int) -> float:
    return 1.0 - 2.0 / (span + 1)


def _rsi(windows: tuple[int, ...], _: Params) -> list[FeatureColumn]:
    return [FeatureColumn(f"rsi_{n}", ind.rsi(n), n - 1, memory=_wilder(n)) for n in windows]


def _macd(_: tuple[int, ...], params: Params) -> list[FeatureColumn]:
    fast, slow, signal = int(params["fast"]), int(params["slow"]), int(params["signal"])
    line, sig, hist = ind.macd(fast, slow, signal)
    suffix = f"_{fast}_{slow}_{signal}"
    if params["normalize"]:
        # Price-scale free (divided by close) so one model can span years of price levels.
        line, sig, hist = (e / pl.col("close") for e in (line, sig, hist))
        suffix += "_rel"
    # The line's two EMAs run side by side (the slower one forgets last); the signal smooths
    # the line again, so its memory is the two in series.
    line_mem = (_span(max(fast, slow)),)
    sig_mem = (*line_mem, _span(signal))
    return [
        FeatureColumn(f"macd{suffix}", line, slow - 1, memory=line_mem),
        FeatureColumn(f"macd_signal{suffix}", sig, slow + signal - 2, memory=sig_mem),
        FeatureColumn(f"macd_hist{suffix}", hist, slow + signal - 2, memory=sig_mem),
    ]


def _atr(windows: tuple[int, ...], params: Params) -> list[FeatureColumn]:
    if params["normalize"]:
        return [
            FeatureColumn(f"natr_{n}", ind.atr(n) / pl.col("close"), n - 1, memory=_wilder(n))
            for n in windows
        ]
    return [FeatureColumn(f"atr_{n}", ind.atr(n), n - 1, memory=_wilder(n)) for n in windows]


def _bollinger(windows: tuple[int, ...], params: Params) -> list[FeatureColumn]:
    k = float(params["num_std"])
    return [
        FeatureColumn(f"bb_pctb_{n}", expr, n - 1, inputs=inputs)
        for n in windows
        for expr, inputs in [ind.bollinger_pctb(n, k)]
    ]


def _volume_z(windows: tuple[int, ...], _: Params) -> list[FeatureColumn]:
    return [
        FeatureColumn(f"vol_z_{n}", expr, n - 1, inputs=inputs)
        for n in windows
        for expr, inputs in [ind.volume_zscore(n)]
    ]


def _candle_shape(_: tuple[int, ...], __: Params) -> list[FeatureColumn]:
    return [FeatureColumn(name, expr, 0, True) for name, expr in ind.candle_shape().items()]


def _time(_: tuple[int, ...], __: Params) -> list[FeatureColumn]:
    return [FeatureColumn(name, expr, 0, True) for name, expr in ind.time_cycles().items()]


CATALOGUE: dict[str, FeatureKind] = {
    k.kind: k
    for k in (
        FeatureKind("returns", "log return of close over h bars", _returns, (1, 4, 24)),
        FeatureKind("realized_vol", "std of 1-bar log returns over n bars", _realized_vol, (24,)),
        FeatureKind("rsi", "Wilder RSI over n bars (0-100)", _rsi, (14,)),
        FeatureKind(
            "macd",
            "MACD line, signal and histogram (EMA fast - EMA slow)",
            _macd,
            default_params={"fast": 12, "slow": 26, "signal": 9, "normalize": False},
        ),
        FeatureKind(
            "atr", "Wilder average true range over n bars", _atr, (14,), {"normalize": False}
        ),
        FeatureKind("bollinger", "Bollinger %B over n bars", _bollinger, (20,), {"num_std": 2.0}),
        FeatureKind("volume_z", "z-score of volume against the last n bars", _volume_z, (24,)),
        FeatureKind("candle_shape", "body and wicks relative to range; range/close", _candle_shape),
        FeatureKind("time", "time of day and of week as sin/cos (UTC, bar open)", _time),
    )
}


def feature_columns(
    kind: str, windows: tuple[int, ...] | None = None, params: Params | None = None
) -> list[FeatureColumn]:
    """Return the output columns of one catalogue kind with the given windows and parameters.

    Raises:
        KeyError: If ``kind`` is not in the catalogue.
        ValueError: If a parameter is unknown to the kind.
    """
    entry = CATALOGUE[kind]
    unknown = set(params or {}) - set(entry.default_params)
    if unknown:
        raise ValueError(
            f"feature {kind!r} has no parameter(s) {sorted(unknown)}; "
            f"known: {sorted(entry.default_params)}"
        )
    merged = {**entry.default_params, **(params or {})}
    return entry.build(tuple(windows) if windows else entry.default_windows, merged)
