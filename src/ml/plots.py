"""Training-run figures (matplotlib, headless Agg backend) saved as PNG files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import polars as pl


def feature_importance_plot(
    names: Sequence[str], importance: np.ndarray, path: Path, top: int = 25
) -> Path:
    """Horizontal bar chart of the ``top`` most important features."""
    order = np.argsort(importance)[::-1][:top][::-1]
    fig, ax = plt.subplots(figsize=(8, max(3.0, 0.3 * len(order) + 1)))
    ax.barh([names[i] for i in order], importance[order], color="#3b75af")
    ax.set_title("Feature importance (final model)")
    ax.set_xlabel("importance")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def equity_plot(curves: Mapping[str, pl.DataFrame], path: Path, title: str) -> Path:
    """Out-of-sample equity curves (``timestamp``, ``equity``), one line each."""
    fig, ax = plt.subplots(figsize=(10, 4.5))
    for label, frame in curves.items():
        ax.plot(frame["timestamp"].to_list(), frame["equity"].to_numpy(), label=label, lw=1.2)
    ax.set_title(title)
    ax.set_ylabel("equity (quote currency)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
