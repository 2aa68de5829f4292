"""Honest tuning: an Optuna search inside nested purged walk-forward, on a process pool or Ray.

See ``docs/ml_tuning.md``. :func:`tune` runs and records a search; :func:`nested_search` is
the search itself; :func:`load_tuning` reads a tuning TOML.
"""

from src.ml.tuning.config import ParamSpace, TuneConfig, apply_overrides, load_tuning
from src.ml.tuning.nested import SearchResult, Study, Trial, nested_search
from src.ml.tuning.run import TuneResult, tune

__all__ = [
    "ParamSpace",
    "SearchResult",
    "Study",
    "Trial",
    "TuneConfig",
    "TuneResult",
    "apply_overrides",
    "load_tuning",
    "nested_search",
    "tune",
]
