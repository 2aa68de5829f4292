"""The exchange's markets, made on first use, and which of them move on each market step.

Kraken lists 683 spot pairs; building a market (720 minutes of history, a book, a tape) for
each at start would make start-up slow, so only the six original pairs are built then. Any
other pair's market is built the first time anything asks for it (a Ticker, an order, a WS
subscription) and from then on moves with the others. The original pairs move every step;
the others too while they are few, and otherwise those with open orders every step and the
rest in turns (``ROUND_ROBIN`` per step), each by the market time since it last moved, so a
step's cost stays bounded however many pairs have been touched.

A non-original market nobody has read for ``IDLE_SECONDS`` (real time), with no open order and
no WS subscriber (``pins``), is dropped, and built afresh if it is asked for again. Without
that, one listing of every pair (``ktrade universe`` reads all 683 tickers) keeps 683 markets
moving and growing their candles for as long as a standalone exchange runs. A day is long
enough that a bot polling a pair's hourly candles keeps its market, and its history, intact.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from src.venues.kraken_paper.market import PairMarket
from src.venues.kraken_paper.pairs import ORIGINAL, PAIRS

ROUND_ROBIN = 24
IDLE_SECONDS = 86_400.0
SWEEP_SECONDS = 60.0  # how often (real time) idle markets are looked for


class Markets(dict[str, PairMarket]):
    """Pair key -> market; a catalogue pair not built yet is built by ``make`` when read.

    ``in``, ``items()`` and ``len()`` see only the markets built so far.
    """

    def __init__(
        self,
        make: Callable[[str], PairMarket],
        *,
        idle_seconds: float = IDLE_SECONDS,
        on_drop: Callable[[str, PairMarket], None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._make = make
        self._clock = 0.0  # market seconds stepped so far
        self._moved: dict[str, float] = {}  # pair -> market clock when it last moved
        self._turn = 0
        self.idle_seconds, self._on_drop, self._monotonic = idle_seconds, on_drop, monotonic
        self._read: dict[str, float] = {}  # non-original pair -> real time it was last read
        self._swept = monotonic()
        #: Pair keys in use besides open orders (each WS server adds its subscribed pairs).
        self.pins: list[Callable[[], set[str]]] = []

    def __getitem__(self, key: str) -> PairMarket:
        market = super().__getitem__(key)
        if key in self._read:
            self._read[key] = self._monotonic()
        return market

    def __missing__(self, key: str) -> PairMarket:
        if key not in PAIRS:
            raise KeyError(key)
        market = self._make(key)
        self[key] = market
        self._moved[key] = self._clock
        if key not in ORIGINAL:
            self._read[key] = self._monotonic()
        return market

    def drop_idle(self, busy: set[str]) -> list[str]:
        """Drop the non-original markets unread for ``idle_seconds``; their keys, in order.

        Args:
            busy: Pairs with open orders (never dropped, nor those a pin names).
        """
        now = self._monotonic()
        pinned = busy.union(*(pin() for pin in self.pins))
        stale = [
            k for k, t in self._read.items() if now - t >= self.idle_seconds and k not in pinned
        ]
        for key in stale:
            market = self.pop(key)
            del self._read[key]
            self._moved.pop(key, None)
            if self._on_drop is not None:
                self._on_drop(key, market)
        return stale

    def extra_steps(self, dt: float, busy: set[str]) -> dict[str, float]:
        """The non-original pairs to move this step, each with its market seconds to move.

        Args:
            dt: Market seconds this step advances.
            busy: Pairs with open orders (they move every step).
        """
        self._clock += dt
        if self._monotonic() - self._swept >= SWEEP_SECONDS:
            self._swept = self._monotonic()
            self.drop_idle(busy)
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


__all__ = ["IDLE_SECONDS", "ROUND_ROBIN", "Markets"]
