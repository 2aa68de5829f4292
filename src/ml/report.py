"""What a training run prints and logs: the quant report, the baselines, the null and the gate.

One text, built once per run: the per-fold and pooled quant report (IC, ICIR, rank IC, rank
ICIR, hit rate, turnover, Sharpe, Sortino, drawdown, return after fees, against buy-and-hold and
the null draws on the same rows), the summary next to the holdout, the model against the null
with error bars, and the promotion gate's reasons. The run logs the same text and the table
(``report/``) so the MLflow record shows what the console showed.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import polars as pl

from src.ml.evaluation import KEY_METRICS, format_report
from src.ml.tracking import Tracker

REPORT_DIR = "report"
REPORT_TEXT = "train_report.txt"

SUMMARY_ROWS = (
    "total_return",
    "annualized_return",
    "sharpe",
    "sortino",
    "max_drawdown",
    "turnover",
    "n_trades",
    "fees",
    "auc",
    "log_loss",
    "rmse",
    "rank_ic",
    "hit_rate",
)
_COLUMNS = (
    ("model (OOS)", "oos"),
    ("buy & hold", "bh"),
    ("null mean", "shuffled"),
    ("holdout", "holdout"),
    ("holdout b&h", "holdout_bh"),
)


def _cell(value: float | None, width: int = 13) -> str:
    return f"{'' if value is None else f'{value:,.4f}':>{width}}"


def summary_table(metrics: dict[str, float]) -> str:
    """Plain-text tables of a run's figures.

    First the model next to buy-and-hold, the null's mean and the holdout; then the model
    against the null (z-score, p-value) with error bars across seeds and folds.
    """
    columns = [(title, p) for title, p in _COLUMNS if any(k.startswith(f"{p}_") for k in metrics)]
    header = f"{'metric':<18}" + "".join(f"{title:>13}" for title, _ in columns)
    lines = [header, "-" * len(header)]
    for key in SUMMARY_ROWS:
        cells = [metrics.get(f"{p}_{key}") for _, p in columns]
        if any(c is not None for c in cells):
            lines.append(f"{key:<18}" + "".join(_cell(c) for c in cells))
    head = f"{'vs null':<22}{'model':>10}{'±seeds':>9}{'±folds':>9}{'null':>10}{'±draws':>9}"
    head += f"{'z':>8}{'p':>7}"
    lines += ["", head, "-" * len(head)]
    for prefix in ("oos", "holdout"):
        for key in KEY_METRICS:
            value = metrics.get(f"{prefix}_{key}")
            if value is None or f"{prefix}_{key}_z" not in metrics:
                continue
            null = "shuffled" if prefix == "oos" else "holdout_shuffled"
            row = [
                (value, 10),
                (metrics.get(f"{prefix}_{key}_seed_std"), 9),
                (metrics.get(f"{prefix}_{key}_fold_std"), 9),
                (metrics.get(f"{null}_{key}"), 10),
                (metrics.get(f"{null}_{key}_std"), 9),
            ]
            text = "".join(_cell(v, w) for v, w in row)
            z, p = metrics.get(f"{prefix}_{key}_z", math.nan), metrics.get(f"{prefix}_{key}_p")
            lines.append(f"{prefix + ' ' + key:<22}{text}{z:>8.2f}{_cell(p, 7)}")
    if "oos_deflated_sharpe" in metrics:
        lines.append(
            f"\ndeflated Sharpe {metrics['oos_deflated_sharpe']:.3f} over "
            f"{metrics['n_trials']:.0f} trial(s) of the experiment"
        )
    return "\n".join(lines)


def gate_text(registered: bool, reasons: list[str]) -> str:
    """The promotion gate's verdict and its reasons, one per line."""
    verdict = "PROMOTED to champion" if registered else "not promoted"
    return "\n".join([f"gate: {verdict}", *(f"  {r}" for r in reasons)])


def run_report(
    quant: pl.DataFrame, metrics: dict[str, float], registered: bool, reasons: list[str]
) -> str:
    """The whole text a training run prints: quant report, summary, null, gate."""
    parts = [
        "quant report (out of sample, after fees; B&H = buy-and-hold and null = mean of the "
        "null draws, on the same rows; IC per UTC day as Qlib)",
        format_report(quant),
        "",
        summary_table(metrics),
        "",
        gate_text(registered, reasons),
    ]
    return "\n".join(parts)


def _finite(value: object) -> object:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def log_report(tracker: Tracker, quant: pl.DataFrame, text: str) -> None:
    """Log the table (CSV, and MLflow's table JSON its UI shows) and the text under ``report/``."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv = folder / "quant_report.csv"
        quant.write_csv(csv)
        tracker.log_artifact(csv, REPORT_DIR)
        # NaN (a fold without a defined ICIR) is not JSON: null instead.
        rows = [[_finite(v) for v in r] for r in quant.iter_rows()]
        doc = {"columns": quant.columns, "data": rows}
        table = folder / "quant_report.json"
        table.write_text(json.dumps(doc, default=str), encoding="utf-8")
        tracker.log_artifact(table, REPORT_DIR)
        printed = folder / REPORT_TEXT
        printed.write_text(text + "\n", encoding="utf-8")
        tracker.log_artifact(printed, REPORT_DIR)


__all__ = ["REPORT_DIR", "REPORT_TEXT", "gate_text", "log_report", "run_report", "summary_table"]
