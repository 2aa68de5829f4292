"""The decision policy over a predictions table: the backtest side of ``src.ml.evaluation``.

The walk-forward writes, next to every score column, its calibrated edge (``edge`` for
``score``, ``edge_seed1`` for ``score_seed1``, ``edge_null3`` for ``null3``: each fold's own
calibrator, fitted on that fold's training rows), plus per row the trailing volatility ``vol``
and, for meta-labeled runs, the primary rule's ``side``. Target weights come from
:meth:`DecisionPolicy.positions` per pair, so a re-score needs the table alone.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from src.ml.config import ExperimentConfig
from src.ml.policy.decision import DecisionPolicy

VOL = "vol"
SIDE = "side"


def edge_column(column: str) -> str:
    """The edge column of a score column (``score`` -> ``edge``, ``null3`` -> ``edge_null3``)."""
    if column == "score":
        return "edge"
    if column.startswith("score_"):
        return "edge_" + column[len("score_") :]
    return f"edge_{column}"


def _array(part: pl.DataFrame, name: str) -> np.ndarray | None:
    if name not in part.columns:
        return None
    return part[name].fill_null(np.nan).to_numpy().astype(float)


def target_weights(rows: pl.DataFrame, column: str, config: ExperimentConfig) -> pl.DataFrame:
    """``rows`` (sorted by pair and time) with a ``target`` weight from ``column``'s scores.

    Raises:
        ValueError: A cost-aware policy but no edge column for ``column`` in the table.
    """
    policy = DecisionPolicy.from_config(config)
    source = edge_column(column) if policy.cost_aware else column
    if source not in rows.columns:
        raise ValueError(
            f"policy.kind = 'cost_aware' needs the column {source!r} (calibrated edges) in the "
            "predictions table; this table was written without them"
        )
    parts = []
    for pair in rows["pair"].unique(maintain_order=True).to_list():
        part = rows.filter(pl.col("pair") == pair)
        signal = _array(part, source)
        assert signal is not None
        weight = policy.positions(signal, _array(part, VOL), _array(part, SIDE))
        parts.append(part.with_columns(pl.Series("target", weight)))
    return pl.concat(parts)


__all__ = ["SIDE", "VOL", "edge_column", "target_weights"]
