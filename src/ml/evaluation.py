"""Every figure of a run, computed from its predictions table alone (so it can be re-scored).

Prefixes: ``oos_`` the model on the walk-forward test windows, ``bh_`` buy-and-hold on the same
rows, ``shuffled_`` the mean of the null draws (``_std`` their spread), ``oos_<m>_z`` /
``oos_<m>_p`` the model against the null, ``oos_<m>_seed_std`` / ``oos_<m>_fold_std`` error bars
across seeds and folds; the same with ``holdout_`` for the final holdout (``holdout_bh_``,
``holdout_shuffled_``). Trading figures are after fees, spread and slippage.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from src.core.instruments import Instrument
from src.ml.backtest import BacktestResult, CostModel, run_backtest
from src.ml.config import ExperimentConfig
from src.ml.labels import FWD_RETURN, LABEL
from src.ml.metrics import ic_periods, ic_summary, trading_metrics
from src.ml.nulls import p_value, z_score
from src.ml.pipeline import HOLDOUT, OOS, SCORE, prediction_metrics, target_of
from src.ml.policy import target_weights

#: Figures given against the null and with error bars (all: higher is better).
KEY_METRICS = ("auc", "rank_ic", "hit_rate", "sharpe", "total_return")
FOLD_TRADING = (
    "total_return",
    "sharpe",
    "sortino",
    "max_drawdown",
    "turnover",
    "n_trades",
    "fees",
)
#: Per-fold figures of the null draws (their mean over the draws) kept in ``fold_metrics``.
FOLD_NULL = ("sharpe", "total_return", "rank_ic")
#: A config per fold (a tuned search gives each outer fold its own decision parameters).
FoldConfigs = Mapping[int, ExperimentConfig]


@dataclass
class Evaluation:
    """Metrics of a run plus the backtests behind the plots.

    Attributes:
        metrics: Flat figures (see the module docstring).
        fold_metrics: Per walk-forward fold: prediction figures and ``oos_``/``bh_`` trading.
        backtests: ``oos``, ``bh``, ``shuffled`` (first null draw), ``holdout``,
            ``holdout_bh`` where present.
    """

    metrics: dict[str, float] = field(default_factory=dict)
    fold_metrics: list[dict[str, float]] = field(default_factory=list)
    backtests: dict[str, BacktestResult] = field(default_factory=dict)


def _by_pair(rows: pl.DataFrame) -> pl.DataFrame:
    return rows.sort("pair", "timestamp")


def _weights(
    rows: pl.DataFrame, column: str, config: ExperimentConfig, folds: FoldConfigs | None = None
) -> pl.DataFrame:
    # The decision policy (src.ml.policy) the live strategy runs too.
    if not folds:
        return target_weights(rows, column, config)
    # Each fold decides with its own parameters (a tuned search's outer folds); the policy's
    # state (hysteresis, holding period) restarts at a fold's first bar.
    parts = [
        target_weights(rows.filter(pl.col("fold") == fold), column, folds.get(int(fold), config))
        for fold in rows["fold"].unique(maintain_order=True).to_list()
    ]
    return pl.concat(parts).sort("pair", "timestamp")


def _backtest(
    rows: pl.DataFrame,
    column: str | None,
    config: ExperimentConfig,
    instruments: dict[str, Instrument] | None,
    folds: FoldConfigs | None = None,
) -> BacktestResult:
    """Trade ``column``'s scores (None: hold every pair) on rows sorted by pair and time."""
    frame = rows.with_columns(pl.lit(1.0).alias("target")) if column is None else None
    return run_backtest(
        frame if frame is not None else _weights(rows, str(column), config, folds),
        costs=CostModel.from_config(config.costs),
        instruments=instruments,
        initial_cash=config.strategy.initial_cash,
    )


class _Scorer:
    """Prediction and trading figures of any score column on one slice of the table."""

    def __init__(
        self,
        rows: pl.DataFrame,
        config: ExperimentConfig,
        instruments: dict[str, Instrument] | None,
        folds: FoldConfigs | None = None,
    ) -> None:
        self.rows, self.config, self.instruments = _by_pair(rows), config, instruments
        self.folds = folds
        label = self.rows[LABEL].fill_null(np.nan).to_numpy().astype(float)
        self.labeled = np.isfinite(label)
        self.y = target_of(label, config)[self.labeled]
        self.fwd = self.rows[FWD_RETURN].fill_null(np.nan).to_numpy().astype(float)[self.labeled]
        self.periods = ic_periods(self.rows["timestamp"]).filter(pl.Series(self.labeled))

    def backtest(self, column: str | None) -> BacktestResult:
        result = _backtest(self.rows, column, self.config, self.instruments, self.folds)
        result.metrics = trading_metrics(result, self.config.data.interval_minutes)
        return result

    def predictions(self, column: str) -> dict[str, float]:
        score = self.rows[column].to_numpy().astype(float)[self.labeled]
        out = prediction_metrics(self.config, self.y, score, self.fwd)
        out.update(ic_summary(score, self.fwd, self.periods))
        return out

    def figures(self, column: str) -> tuple[dict[str, float], BacktestResult]:
        out = self.predictions(column)
        result = self.backtest(column)
        out.update(result.metrics)
        return out, result


def _columns(table: pl.DataFrame, prefix: str) -> list[str]:
    return sorted(
        (c for c in table.columns if c.startswith(prefix)), key=lambda c: int(c[len(prefix) :])
    )


def _stats(draws: list[dict[str, float]], prefix: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for key in draws[0]:
        values = np.asarray([d[key] for d in draws], dtype=float)
        finite = values[np.isfinite(values)]
        out[f"{prefix}_{key}"] = float(np.mean(finite)) if len(finite) else math.nan
        out[f"{prefix}_{key}_std"] = float(np.std(finite, ddof=1)) if len(finite) > 1 else math.nan
    return out


def _split_metrics(
    scorer: _Scorer, table: pl.DataFrame, prefix: str, bh: str, shuffled: str
) -> tuple[dict[str, float], dict[str, BacktestResult]]:
    model, model_bt = scorer.figures(SCORE)
    out = {f"{prefix}_{k}": v for k, v in model.items()}
    hold = scorer.backtest(None)
    out.update({f"{bh}_{k}": v for k, v in hold.metrics.items()})
    seeds = [model] + [scorer.figures(c)[0] for c in _columns(table, "score_seed")]
    nulls, null_bts = [], []
    for column in _columns(table, "null"):
        figures, result = scorer.figures(column)
        nulls.append(figures)
        null_bts.append(result)
    out.update(_stats(nulls, shuffled))
    out[f"{shuffled}_traded_share"] = float(np.mean([d["n_trades"] > 0 for d in nulls]))
    for key in KEY_METRICS:
        if key not in model:
            continue
        values = [d[key] for d in nulls]
        out[f"{prefix}_{key}_z"] = z_score(model[key], values)
        out[f"{prefix}_{key}_p"] = p_value(model[key], values)
        spread = [d[key] for d in seeds]
        out[f"{prefix}_{key}_seed_std"] = float(np.std(spread, ddof=1)) if len(seeds) > 1 else 0.0
    out[f"{prefix}_rows"] = float(scorer.rows.height)
    bts = {prefix: model_bt, bh: hold, shuffled: null_bts[0]}
    return out, bts


def _fold_metrics(
    table: pl.DataFrame,
    config: ExperimentConfig,
    instruments: dict[str, Instrument] | None,
    folds: FoldConfigs | None,
) -> list[dict[str, float]]:
    out = []
    for fold in sorted(table["fold"].unique().to_list()):
        rows = table.filter(pl.col("fold") == fold)
        scorer = _Scorer(rows, config, instruments, folds)
        row = scorer.predictions(SCORE)
        for prefix, column in (("oos", SCORE), ("bh", None)):
            metrics = scorer.backtest(column).metrics
            row.update({f"{prefix}_{k}": metrics[k] for k in FOLD_TRADING})
        nulls = [scorer.figures(c)[0] for c in _columns(rows, "null")]
        for key in FOLD_NULL if nulls else ():
            row[f"shuffled_{key}"] = float(np.nanmean([d[key] for d in nulls]))
        row["test_rows"] = float(scorer.rows.height)
        row["fold"] = float(fold)
        out.append(row)
    return out


def evaluate(
    table: pl.DataFrame,
    config: ExperimentConfig,
    instruments: dict[str, Instrument] | None,
    *,
    fold_configs: FoldConfigs | None = None,
) -> Evaluation:
    """All figures of a run from its predictions table (see :func:`src.ml.pipeline.walk_forward`).

    Args:
        table: The predictions table.
        config: The run's config (labels, costs, strategy thresholds, interval).
        instruments: Tick, lot and minimum rules per pair for the backtests.
        fold_configs: A config per walk-forward fold whose strategy turns that fold's scores
            into positions (a tuned search's outer folds); None: ``config`` everywhere.
    """
    result = Evaluation()
    oos = table.filter(pl.col("split") == OOS)
    scorer = _Scorer(oos, config, instruments, fold_configs)
    metrics, bts = _split_metrics(scorer, oos, "oos", "bh", "shuffled")
    result.metrics.update(metrics)
    result.backtests.update(bts)
    result.fold_metrics = _fold_metrics(oos, config, instruments, fold_configs)
    for key in KEY_METRICS:
        # Prediction figures sit in a fold's row as they are, trading ones with ``oos_``.
        name = key if key in result.fold_metrics[0] else f"oos_{key}"
        values = [f[name] for f in result.fold_metrics if name in f]
        if len(values) > 1:
            result.metrics[f"oos_{key}_fold_std"] = float(np.nanstd(values, ddof=1))
    hold = table.filter(pl.col("split") == HOLDOUT)
    if hold.height:
        scorer = _Scorer(hold, config, instruments)
        metrics, bts = _split_metrics(scorer, hold, HOLDOUT, "holdout_bh", "holdout_shuffled")
        result.metrics.update(metrics)
        result.backtests.update(bts)
    return result


def shuffled_warnings(metrics: dict[str, float], config: ExperimentConfig) -> list[str]:
    """Reasons why the null (mean of the draws) looks too good, a sign of leakage, if any."""
    reasons = []
    # Overlapping label windows make neighbouring rows near-duplicates: count independent ones.
    n = max(metrics.get("oos_rows", 0.0) / config.label.horizon, 1.0)
    auc = metrics.get("shuffled_auc", math.nan)
    if math.isfinite(auc) and auc > 0.5 + 3.0 * math.sqrt(1.0 / (3.0 * n)):
        reasons.append(f"shuffled-label AUC {auc:.3f} is well above 0.5")
    ic = metrics.get("shuffled_rank_ic", math.nan)
    if math.isfinite(ic) and ic > 3.0 / math.sqrt(n):
        reasons.append(
            f"shuffled-label rank IC {ic:.3f} exceeds 3/sqrt(n_eff)={3.0 / math.sqrt(n):.3f}"
        )
    sharpe = metrics.get("shuffled_sharpe", math.nan)
    bh = metrics.get("bh_sharpe", math.nan)
    if math.isfinite(sharpe) and sharpe > 1.0 and (not math.isfinite(bh) or sharpe > bh):
        reasons.append(f"shuffled-label Sharpe after costs {sharpe:.2f} > 1 and beats buy-and-hold")
    return reasons


def model_metrics(
    table: pl.DataFrame,
    config: ExperimentConfig,
    instruments: dict[str, Instrument] | None,
    *,
    fold_configs: FoldConfigs | None = None,
) -> dict[str, float]:
    """The model's own prediction and trading figures on a table with a ``score`` column only.

    What a search's inner folds compute per trial: no buy-and-hold, null or seed columns.
    """
    figures, _ = _Scorer(table, config, instruments, fold_configs).figures(SCORE)
    return figures


#: The quant report's columns: (title, key in a fold row, key in the pooled metrics).
REPORT_COLUMNS = (
    ("rows", "test_rows", "oos_rows"),
    ("IC", "ic", "oos_ic"),
    ("ICIR", "icir", "oos_icir"),
    ("Rank IC", "rank_ic_mean", "oos_rank_ic_mean"),
    ("Rank ICIR", "rank_icir", "oos_rank_icir"),
    ("hit rate", "hit_rate", "oos_hit_rate"),
    ("turnover", "oos_turnover", "oos_turnover"),
    ("Sharpe", "oos_sharpe", "oos_sharpe"),
    ("Sortino", "oos_sortino", "oos_sortino"),
    ("max DD", "oos_max_drawdown", "oos_max_drawdown"),
    ("return", "oos_total_return", "oos_total_return"),
    ("fees", "oos_fees", "oos_fees"),
    ("B&H Sharpe", "bh_sharpe", "bh_sharpe"),
    ("B&H return", "bh_total_return", "bh_total_return"),
    ("null Sharpe", "shuffled_sharpe", "shuffled_sharpe"),
    ("null return", "shuffled_total_return", "shuffled_total_return"),
    ("null Rank IC", "shuffled_rank_ic", "shuffled_rank_ic"),
)


def quant_report(ev: Evaluation) -> pl.DataFrame:
    """Per-fold and pooled out-of-sample figures a quant reads, one row per fold + ``pooled``.

    IC and ICIR are Qlib's (mean of the per-day ICs, over their standard deviation), next to
    the rank IC, hit rate, turnover, Sharpe, Sortino, drawdown and return after fees, against
    buy-and-hold and the mean of the null draws on the same rows.
    """
    names = ["fold"] + [title for title, _, _ in REPORT_COLUMNS]
    rows: list[list[object]] = []
    for fm in ev.fold_metrics:
        cells = [fm.get(key, math.nan) for _, key, _ in REPORT_COLUMNS]
        rows.append([str(int(fm.get("fold", len(rows)))), *cells])
    rows.append(["pooled", *(ev.metrics.get(key, math.nan) for _, _, key in REPORT_COLUMNS)])
    schema = {name: (pl.Utf8 if name == "fold" else pl.Float64) for name in names}
    return pl.DataFrame(rows, schema=schema, orient="row")


def format_report(report: pl.DataFrame) -> str:
    """The quant report as a plain-text table (what training and tuning print)."""
    widths = [max(len(c), 8) for c in report.columns]
    head = "  ".join(f"{c:>{w}}" for c, w in zip(report.columns, widths, strict=True))
    lines = [head, "-" * len(head)]
    for row in report.iter_rows():
        cells = []
        for value, width, name in zip(row, widths, report.columns, strict=True):
            if isinstance(value, float):
                text = f"{value:,.0f}" if name in ("rows", "fees") else f"{value:.3f}"
            else:
                text = str(value)
            cells.append(f"{text:>{width}}")
        lines.append("  ".join(cells))
    return "\n".join(lines)


def predictions_schema(table: pl.DataFrame) -> dict[str, Any]:
    """Column names and types of a predictions table (logged next to it)."""
    return {name: str(dtype) for name, dtype in table.schema.items()}


__all__ = [
    "KEY_METRICS",
    "REPORT_COLUMNS",
    "Evaluation",
    "FoldConfigs",
    "evaluate",
    "format_report",
    "model_metrics",
    "predictions_schema",
    "quant_report",
    "shuffled_warnings",
]
