"""Score -> expected return over the label horizon, fitted on training rows only.

The model's score (P(up) or a predicted return) is not a return: before it can be compared with
the cost of a round trip it is mapped to the average forward return of training rows with a
similar score. Scores are cut into quantile bins first and the bins' mean returns fitted with a
monotone (isotonic) regression weighted by their counts, so one fat-tailed day cannot set the
edge of the highest scores; between bin centres the edge is interpolated linearly and beyond
them clipped, exactly as ``IsotonicRegression(out_of_bounds="clip").predict`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.isotonic import IsotonicRegression


@dataclass(frozen=True)
class EdgeCalibrator:
    """A piecewise-linear, non-decreasing map from score to expected forward return.

    Attributes:
        knots: Scores (increasing) at which the edge is known.
        edges: Expected forward return at each knot (non-decreasing).
    """

    knots: tuple[float, ...]
    edges: tuple[float, ...]

    @classmethod
    def fit(cls, score: np.ndarray, fwd_return: np.ndarray, bins: int = 20) -> EdgeCalibrator:
        """Fit on rows with a finite score and forward return.

        Raises:
            ValueError: Fewer than two usable rows.
        """
        s, r = np.asarray(score, dtype=float), np.asarray(fwd_return, dtype=float)
        ok = np.isfinite(s) & np.isfinite(r)
        s, r = s[ok], r[ok]
        if len(s) < 2:
            raise ValueError(f"calibration needs at least 2 rows with a score, got {len(s)}")
        order = np.argsort(s, kind="stable")
        groups = [g for g in np.array_split(order, min(bins, len(s))) if len(g)]
        centre = np.array([float(np.median(s[g])) for g in groups])
        mean = np.array([float(np.mean(r[g])) for g in groups])
        weight = np.array([float(len(g)) for g in groups])
        iso = IsotonicRegression(increasing=True, out_of_bounds="clip")
        iso.fit(centre, mean, sample_weight=weight)
        knots = np.asarray(iso.X_thresholds_, dtype=float)
        edges = np.asarray(iso.y_thresholds_, dtype=float)
        return cls(tuple(knots.tolist()), tuple(edges.tolist()))

    def edge(self, score: np.ndarray) -> np.ndarray:
        """Expected forward return per score (NaN for a NaN score)."""
        s = np.asarray(score, dtype=float)
        out = np.interp(s, np.asarray(self.knots), np.asarray(self.edges))
        return np.where(np.isnan(s), np.nan, out)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (logged with the model)."""
        return {"knots": list(self.knots), "edges": list(self.edges)}

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> EdgeCalibrator:
        """Inverse of :meth:`to_dict`."""
        return cls(tuple(float(v) for v in doc["knots"]), tuple(float(v) for v in doc["edges"]))


__all__ = ["EdgeCalibrator"]
