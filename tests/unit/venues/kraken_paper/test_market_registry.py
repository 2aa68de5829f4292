"""Markets built on first use, and which of them move on each step (bounded work)."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest

from src.venues.kraken_paper.market_registry import ROUND_ROBIN, Markets
from src.venues.kraken_paper.pairs import ORIGINAL, PAIRS


def _markets() -> tuple[Markets, list[str]]:
    built: list[str] = []

    def make(key: str) -> MagicMock:
        built.append(key)
        return MagicMock(name=key)

    return Markets(make), built


def test_built_once_on_first_read_and_only_for_catalogue_pairs() -> None:
    markets, built = _markets()
    first = markets["DOTEUR"]
    assert markets["DOTEUR"] is first and built == ["DOTEUR"]
    assert "XXBTZEUR" not in markets and built == ["DOTEUR"]  # ``in`` builds nothing
    with pytest.raises(KeyError):
        markets["NOPE"]


def test_few_extra_pairs_all_move_each_by_its_own_span() -> None:
    markets, _ = _markets()
    markets["DOTEUR"]
    assert markets.extra_steps(15.0, set()) == {"DOTEUR": 15.0}
    markets["XXBTZEUR"]  # built now: its first span counts from here
    assert markets.extra_steps(15.0, set()) == {"DOTEUR": 15.0, "XXBTZEUR": 15.0}


def test_many_extra_pairs_take_turns_and_busy_ones_move_every_step() -> None:
    markets, _ = _markets()
    extra = [k for k in PAIRS if k not in ORIGINAL][: ROUND_ROBIN * 3 + 1]  # 72 take turns
    for key in extra:
        markets[key]
    busy = {extra[-1]}
    seen: dict[str, float] = {}
    for _ in range(3):
        step = markets.extra_steps(10.0, busy)
        assert len(step) == ROUND_ROBIN + 1 and step[extra[-1]] == 10.0
        seen.update(step)
    assert set(seen) == set(extra)  # everyone moved within three steps
    step = markets.extra_steps(10.0, busy)
    assert all(span == 30.0 for key, span in step.items() if key not in busy)


def test_idle_extra_markets_are_dropped_after_the_idle_time_and_reading_keeps_them() -> None:
    now = [0.0]
    dropped: list[str] = []
    markets = Markets(
        lambda key: MagicMock(name=key),
        idle_seconds=100.0,
        on_drop=lambda key, _market: dropped.append(key),
        monotonic=lambda: now[0],
    )
    original = next(iter(ORIGINAL))
    markets[original] = MagicMock(name=original)  # as the exchange builds them at start
    for key in ("DOTEUR", "XXBTZEUR", "ADAEUR"):
        markets[key]
    now[0] = 60.0
    markets["XXBTZEUR"]  # read: its idle time starts again
    now[0] = 100.0
    markets.pins.append(lambda: {"ADAEUR"})
    assert markets.drop_idle(set()) == ["DOTEUR"] and dropped == ["DOTEUR"]
    assert markets.drop_idle(set()) == []
    now[0] = 160.0
    assert markets.drop_idle({"XXBTZEUR"}) == []  # an open order keeps it
    assert markets.drop_idle(set()) == ["XXBTZEUR"]
    assert set(markets) == {original, "ADAEUR"}  # originals are never dropped


def test_the_step_sweeps_idle_markets_once_a_minute() -> None:
    now = [0.0]
    markets = Markets(lambda key: MagicMock(name=key), idle_seconds=10.0, monotonic=lambda: now[0])
    markets["DOTEUR"]
    now[0] = 30.0
    assert markets.extra_steps(1.0, set()) == {"DOTEUR": 1.0}  # not swept yet
    now[0] = 61.0
    assert markets.extra_steps(1.0, set()) == {} and "DOTEUR" not in markets
