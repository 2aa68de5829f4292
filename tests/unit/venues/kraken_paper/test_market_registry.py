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
