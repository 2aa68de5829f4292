"""Reconnect backoff: exponential, capped, jittered, never giving up."""

from __future__ import annotations

import random

import pytest

from src.brokers.kraken.ws.backoff import Backoff


def test_delays_grow_then_cap_with_jitter() -> None:
    backoff = Backoff(initial=0.5, cap=8.0, rng=random.Random(7))
    delays = [backoff.next_delay() for _ in range(200)]
    steps = [min(8.0, 0.5 * 2**n) for n in range(200)]
    for delay, step in zip(delays, steps, strict=True):
        assert step / 2 <= delay <= step
    assert max(delays) <= 8.0
    assert len(set(delays[10:])) > 100  # jitter: capped delays are not all equal
    assert backoff.attempt == 200  # it never stops handing out delays


def test_reset_starts_over() -> None:
    backoff = Backoff(initial=1.0, cap=30.0, rng=random.Random(1))
    for _ in range(10):
        backoff.next_delay()
    backoff.reset()
    assert backoff.next_delay() <= 1.0


def test_huge_attempt_counts_do_not_overflow() -> None:
    backoff = Backoff(initial=0.5, cap=30.0)
    assert backoff.step(10**6) == 30.0


def test_invalid_policy_rejected() -> None:
    with pytest.raises(ValueError, match="backoff"):
        Backoff(initial=5, cap=1)
