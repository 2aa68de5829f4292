"""The exchange's markets, made on first use, and which of them move on each market step.

Kraken lists 683 spot pairs; building a market (720 minutes of history, a book, a tape) for
each at start would make start-up slow, so only the six original pairs are built then. Any
other pair's market is built the first time anything asks for it (a Ticker, an order, a WS
subscription) and from then on moves with the others. The original pairs move every step;
the others too while they are few, and otherwise those with open orders every step and the
rest in turns (``ROUND_ROBIN`` per step), each by the market time since it last moved, so a
step's cost stays bounded however many pairs have been touched.
"""

from __future__ import annotations

from collections.abc import Callable

from src.venues.kraken_paper.market import PairMarket
from src.venues.kraken_paper.pairs import ORIGINAL, PAIRS

ROUND_ROBIN = 24


class Markets(dict[str, PairMarket]):
    """Pair key -> market; a catalogue pair not built yet is built by ``make`` when read.

    ``in``, ``items()`` and ``len()`` see only the markets built so far.
    """

    def __init__(self, make: Callable[[str], PairMarket]) -> None:
        super().__init__()
        self._make = make
        self._clock = 0.0  # market seconds stepped so far
        self._moved: dict[str, float] = {}  # pair -> market clock when it last moved
        self._turn = 0

    def __missing__(self, key: str) -> PairMarket:
        if key not in PAIRS:
            raise KeyError(key)
        market = self._make(key)
        self[key] = market
        self._moved[key] = self._clock
        return market

    def extra_steps(self, dt: float, busy: set[str]) -> dict[str, float]:
        """The non-original pairs to move this step, each with its market seconds to move.

        Args:
            dt: Market seconds this step advances.
            busy: Pairs with open orders (they move every step).
        """
        self._clock += dt
        extra = [k for k in self if k not in ORIGINAL]
        if len(extra) > ROUND_ROBIN:
            rest = [k for k in extra if k not in busy]
            first = self._turn % len(rest) if rest else 0
            chosen = [k for k in extra if k in busy] + (rest[first:] + rest[:first])[:ROUND_ROBIN]
            self._turn += ROUND_ROBIN
        else:
            chosen = extra
        out = {k: self._clock - self._moved.get(k, self._clock - dt) for k in chosen}
        self._moved.update(dict.fromkeys(chosen, self._clock))
        return out


__all__ = ["ROUND_ROBIN", "Markets"]
