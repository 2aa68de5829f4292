"""The limiter: a repeat within the cooldown is held, the per-minute cap holds, a summary tells."""

from __future__ import annotations

import pytest

from src.ops.alerts import Alert, AlertLimiter, Level

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_the_same_key_waits_for_its_cooldown() -> None:
    clock = Clock()
    limiter = AlertLimiter(cooldown=300, max_per_minute=100, monotonic=clock)
    lost = Alert("connection:market data BTC/USD", "lost", "no data")
    assert limiter.offer(lost)
    clock.t = 299
    assert not limiter.offer(lost)
    assert limiter.offer(Alert("kill_switch", "kill", "tripped"))  # another key is news
    clock.t = 300
    assert limiter.offer(lost)
    assert limiter.held == {"connection:market data BTC/USD": 1}


def test_an_outage_cannot_send_more_than_the_cap_per_minute() -> None:
    clock = Clock()
    limiter = AlertLimiter(cooldown=0, max_per_minute=3, monotonic=clock)
    sent = 0
    for i in range(200):  # 200 distinct rejections within 20 s
        clock.t = i * 0.1
        sent += limiter.offer(Alert(f"rejected:{i}", "rejected", "EOrder"))
    assert sent == 3
    assert sum(limiter.held.values()) == 197
    assert limiter.summary("ktrade") is None  # no room for it either, yet
    clock.t = 59.0
    assert limiter.summary("ktrade") is None  # room now, but not due: held for under a minute
    clock.t = 61.0
    summary = limiter.summary("ktrade")
    assert summary is not None and summary.level is Level.WARNING
    assert summary.title == "ktrade: 197 alert(s) held back"
    assert "... and 187 more kinds" in summary.body
    assert limiter.held == {}
    assert limiter.summary("ktrade") is None  # nothing more held: nothing to say


def test_a_summary_waits_the_cooldown_and_counts_toward_the_cap() -> None:
    clock = Clock()
    limiter = AlertLimiter(cooldown=600, max_per_minute=2, monotonic=clock)
    fill = Alert("fill", "fill", "x")
    assert limiter.offer(fill)
    clock.t = 1
    assert not limiter.offer(fill)
    assert not limiter.offer(fill)
    clock.t = 599
    assert limiter.summary("bot") is None  # a storm: one summary per cooldown, not per repeat
    clock.t = 601
    summary = limiter.summary("bot")
    assert summary is not None and "2 x fill" in summary.body
    assert limiter.offer(Alert("other", "o", "o"))
    assert not limiter.offer(Alert("third", "t", "t"))  # the summary took a slot of the two
    assert limiter.summary("bot") is None
    assert limiter.summary("bot", force=True) is None  # held "third", but the cap is full
    clock.t = 662
    forced = limiter.summary("bot", force=True)  # the session's end: not waiting the cooldown
    assert forced is not None and "1 x third" in forced.body
