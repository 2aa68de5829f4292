"""The walk-forward folds fitted on a process pool give exactly the serial run's figures."""

from __future__ import annotations

import math
import time

from src.ml.tracking import NullTracker
from src.ml.train import TrainResult, train
from tests.unit.ml.conftest import make_small_config


class TagTracker(NullTracker):
    def __init__(self) -> None:
        self.tags: dict[str, str] = {}

    def set_tags(self, tags: dict[str, str]) -> None:
        self.tags.update(tags)


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def _run(workers: int) -> tuple[TrainResult, TagTracker, float]:
    config = make_small_config("sqlite://", compute={"workers": workers})
    tracker = TagTracker()
    start = time.perf_counter()
    result = train(config, tracker, progress=False)
    return result, tracker, time.perf_counter() - start


def test_parallel_folds_equal_serial_folds() -> None:
    serial, serial_tags, _ = _run(1)
    pooled, pooled_tags, _ = _run(2)
    assert "fold_executor" not in serial_tags.tags  # the default fits in this process
    assert pooled_tags.tags["fold_executor"] == "process-pool"
    assert set(serial.metrics) == set(pooled.metrics)
    differ = [k for k in serial.metrics if not _same(serial.metrics[k], pooled.metrics[k])]
    assert differ == []
    assert len(serial.fold_metrics) == len(pooled.fold_metrics)
    for one, other in zip(serial.fold_metrics, pooled.fold_metrics, strict=True):
        assert all(_same(v, other[k]) for k, v in one.items())
    assert serial.report.split("gate:")[0] == pooled.report.split("gate:")[0]
