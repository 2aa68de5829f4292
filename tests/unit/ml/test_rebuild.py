"""A run rebuilt from its MLflow record alone trains to the same figures."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from src.ml.tuning.rebuild import rebuild, rerun_training
from tests.unit.ml.conftest import Store, make_small_config

# The trial correction counts the experiment's runs, so it differs between a run and its rerun.
TRIAL_DEPENDENT = ("n_trials", "oos_deflated_sharpe", "oos_expected_max_sharpe_per_bar")


def test_rebuild_from_the_record_and_rerun_gives_the_same_metrics(store: Store) -> None:
    uri, first, _ = store
    rebuilt = rebuild(first.run_id, uri)
    assert rebuilt.config == make_small_config(uri)
    assert rebuilt.tune is None  # a training run, not a search
    assert rebuilt.data_matches and len(rebuilt.data_hash) == 64
    assert len(rebuilt.commit) == 40
    again = rerun_training(rebuilt)
    expected = {k: v for k, v in first.metrics.items() if k not in TRIAL_DEPENDENT}
    got = {k: again.metrics[k] for k in expected}
    assert {k for k, v in got.items() if not math.isnan(v)} == {
        k for k, v in expected.items() if not math.isnan(v)
    }
    assert {k: v for k, v in got.items() if not math.isnan(v)} == {
        k: v for k, v in expected.items() if not math.isnan(v)
    }


def test_changed_data_is_refused(store: Store) -> None:
    uri, first, _ = store
    stale = replace(rebuild(first.run_id, uri), data_matches=False)
    with pytest.raises(ValueError, match="no longer hash"):
        rerun_training(stale)
