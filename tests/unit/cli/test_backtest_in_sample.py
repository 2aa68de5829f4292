"""A model backtest over the candles the model learned from is called in-sample, and only then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from src.cli.backtesting import _in_sample
from src.cli.strategies import Resolved
from src.core.strategy import MovingAverageCross

HOUR = timedelta(hours=1)
FIRST = datetime(2022, 1, 1, tzinfo=UTC)
LAST = datetime(2022, 12, 31, 23, tzinfo=UTC)


def _resolved(span: tuple[datetime, datetime] | None) -> Resolved:
    strategy = MovingAverageCross(["BTC/USD"], fast=2, slow=3, interval_minutes=60)
    return Resolved(strategy, "x", "x", trained_on=span)


@pytest.mark.parametrize(
    ("start", "end", "flagged"),
    [
        (LAST + HOUR, LAST + 100 * HOUR, False),  # strictly after the training rows
        (FIRST - 100 * HOUR, FIRST - HOUR, False),  # strictly before them
        (LAST, LAST + 100 * HOUR, True),  # the last training bar is replayed
        (FIRST - 100 * HOUR, FIRST, True),  # the first one is
        (FIRST + HOUR, LAST - HOUR, True),  # inside
    ],
)
def test_in_sample_only_when_the_replay_touches_training_rows(
    start: datetime, end: datetime, flagged: bool
) -> None:
    notes = _in_sample(_resolved((FIRST, LAST)), start, end, HOUR)
    assert bool(notes) is flagged
    if flagged:
        # The note names the first bar that is out of sample, in a form --start accepts.
        assert "--start 2023-01-01T00:00 on" in notes[0]


def test_no_claim_without_a_recorded_span() -> None:
    assert _in_sample(_resolved(None), FIRST, LAST, HOUR) == []


def test_the_training_span_comes_from_the_run_params_or_is_not_claimed() -> None:
    from src.ml.live_strategy import training_span

    logged = {"data_start": "2024-01-01T00:00:00+00:00", "data_end": "2024-03-01T00:00:00"}
    first, last = training_span(logged) or (None, None)
    assert first == datetime(2024, 1, 1, tzinfo=UTC)
    assert last == datetime(2024, 3, 1, tzinfo=UTC)  # an older run logged it without the offset
    assert training_span({"data_start": "2024-01-01"}) is None
    assert training_span({"data_start": "soon", "data_end": "later"}) is None
