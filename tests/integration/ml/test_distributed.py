"""The same search on the inline executor, a spawned process pool and a local Ray instance."""

from __future__ import annotations

import math

import pytest

from src.ml.dataset import build_dataset, load_candles, resolve_spec
from src.ml.distributed import ProcessPool, RayExecutor, make_executor
from src.ml.tuning import TuneConfig, nested_search
from tests.unit.ml.conftest import make_small_config

SEARCH = TuneConfig.model_validate(
    {
        "n_trials": 2,
        "inner_folds": 2,
        "inner_train_size": 200,
        "inner_test_size": 100,
        "batch": 2,
        "final_search": False,
        "space": {"model.params.num_leaves": {"kind": "int", "low": 4, "high": 31}},
    }
)


def _figures(executor: object) -> tuple[list[float], dict[str, float]]:
    config = make_small_config("sqlite:///unused.db")
    ds = build_dataset(load_candles(config.data), config, resolve_spec(config))
    found = nested_search(ds, config, SEARCH, executor)  # type: ignore[arg-type]
    finite = {k: v for k, v in found.evaluation.metrics.items() if math.isfinite(v)}
    return [t.value for t in found.trials], finite


def _square(offset: int, item: int) -> int:
    return item * item + offset


def test_backends_agree_with_inline_results() -> None:
    inline = _figures(ProcessPool(1))
    pool = ProcessPool(2)
    try:
        assert pool.map(_square, 1, [1, 2, 3]) == [2, 5, 10]
        assert _figures(pool) == inline
    finally:
        pool.close()
    ray = RayExecutor("local", num_cpus=2)
    try:
        assert ray.name == "ray" and ray.workers == 2
        assert ray.map(_square, 1, [1, 2, 3]) == [2, 5, 10]
        assert _figures(ray) == inline
    finally:
        ray.close()


def test_make_executor_picks_ray_only_with_an_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert make_executor(workers=1).name == "inline"
    assert make_executor(workers=2).name == "process-pool"
