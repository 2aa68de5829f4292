"""DecayingCounter: linear decay, exact waits, saturation, on a manual clock."""

from __future__ import annotations

import pytest

from src.core.clock import ManualClock
from src.utils.decaying_counter import DecayingCounter
from src.utils.rate_limiter import DecayingCounter as ReExported


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def test_value_decays_linearly_and_floors_at_zero(clock: ManualClock) -> None:
    counter = DecayingCounter(15, 0.33, clock)
    counter.add(10)
    clock.advance(3)
    assert counter.value == pytest.approx(10 - 0.99)
    clock.advance(100)
    assert counter.value == 0.0
    counter.add(1)  # decay spent while empty is not banked
    assert counter.value == pytest.approx(1.0)


def test_cost_wait_is_zero_while_the_cost_fits(clock: ManualClock) -> None:
    counter = DecayingCounter(15, 0.33, clock)
    for _ in range(15):
        assert counter.cost_wait(1) == 0.0
        counter.add(1)
    assert counter.value == pytest.approx(15)


def test_cost_wait_is_the_exact_decay_time_needed(clock: ManualClock) -> None:
    counter = DecayingCounter(15, 0.33, clock)
    counter.add(15)
    assert counter.cost_wait(1) == pytest.approx(1 / 0.33)
    assert counter.cost_wait(2) == pytest.approx(2 / 0.33)
    clock.advance(counter.cost_wait(2))
    assert counter.cost_wait(2) == 0.0
    counter.add(2)
    assert counter.value == pytest.approx(15)


def test_add_may_go_above_the_maximum_and_waits_grow_accordingly(clock: ManualClock) -> None:
    counter = DecayingCounter(60, 1.0, clock)
    counter.add(55)
    counter.add(24)
    assert counter.value == pytest.approx(79)
    assert counter.cost_wait(1) == pytest.approx(20)
    assert counter.cost_wait(0) == pytest.approx(19)


def test_saturate_raises_to_the_maximum_but_never_lowers(clock: ManualClock) -> None:
    counter = DecayingCounter(20, 0.5, clock)
    counter.add(3)
    counter.saturate()
    assert counter.value == pytest.approx(20)
    counter.add(5)
    counter.saturate()
    assert counter.value == pytest.approx(25)


def test_refund_and_reset(clock: ManualClock) -> None:
    counter = DecayingCounter(20, 0.5, clock)
    counter.add(4)
    counter.refund(3)
    assert counter.value == pytest.approx(1)
    counter.refund(5)
    assert counter.value == 0.0
    counter.add(7)
    counter.reset()
    assert counter.value == 0.0


def test_a_cost_that_can_never_fit_is_an_error(clock: ManualClock) -> None:
    counter = DecayingCounter(15, 0.33, clock)
    with pytest.raises(ValueError, match="never fit"):
        counter.cost_wait(16)
    with pytest.raises(ValueError, match="negative"):
        counter.add(-1)


@pytest.mark.parametrize(("maximum", "decay"), [(0, 1.0), (-1, 1.0), (10, 0.0), (10, -0.5)])
def test_invalid_parameters_are_refused(maximum: float, decay: float) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        DecayingCounter(maximum, decay, ManualClock())


def test_rate_limiter_module_re_exports_the_counter() -> None:
    assert ReExported is DecayingCounter
