"""Book streams for the WS book benchmarks: the recorded paper stream and a Kraken-like one.

* ``paper``: 200 frames recorded from the paper exchange (``tests/fixtures/kraken``), whose book
  is rebuilt on each trade, so an update carries about 39 levels: heavier than Kraken's.
* ``kraken-like``: 510 frames (snapshot + 509 updates) of 1-3 levels each, the size of Kraken's
  usual BTC/USD depth-10 updates: quantity changes, new levels inside the book and removals, a
  level pushed below the depth sent as nothing (the client truncates). Made from a seeded random
  walk; each update is the paper exchange's own diff of two books and each checksum its own
  (``src.venues.kraken_paper.ws_book``, written apart from the client's book code), spelled as
  Kraken spells numbers (price at 1 decimal, qty at 8).
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from src.venues.kraken_paper.ws_book import SubscriberBook

STREAM = Path(__file__).resolve().parents[1] / "tests/fixtures/kraken/ws_book_stream.json"
SYMBOL, PRICE_DECIMALS, QTY_DECIMALS, DEPTH = "BTC/USD", 1, 8, 10
TICK, LOT = Decimal("0.1"), Decimal("0.00000001")


def paper_frames() -> list[str]:
    """The 200 recorded paper-exchange frames."""
    frames: list[str] = json.loads(STREAM.read_text())["frames"]
    return frames


def _levels(levels: list[tuple[Decimal, Decimal]]) -> str:
    # Kraken writes a price at the pair's decimals and a quantity with all 8; a removal as 0.
    parts = [
        f'{{"price":{p:.{PRICE_DECIMALS}f},"qty":{f"{q:.{QTY_DECIMALS}f}" if q else "0"}}}'
        for p, q in levels
    ]
    return "[" + ",".join(parts) + "]"


def _frame(kind: str, bids: str, asks: str, checksum: int, stamp: str | None) -> str:
    tail = f',"timestamp":"{stamp}"' if stamp else ""
    return (
        f'{{"channel":"book","type":"{kind}","data":[{{"symbol":"{SYMBOL}","bids":{bids},'
        f'"asks":{asks},"checksum":{checksum}{tail}}}]}}'
    )


def kraken_like_frames(count: int = 510, seed: int = 7) -> list[str]:
    """A snapshot then ``count - 1`` updates of 1-3 levels, checksummed by the paper exchange."""
    rng = random.Random(seed)
    mid = Decimal("45283.5")
    bids = {mid - TICK * (2 * i + 1): _qty(rng) for i in range(30)}
    asks = {mid + TICK * (2 * i + 1): _qty(rng) for i in range(30)}
    subscriber = SubscriberBook(DEPTH, PRICE_DECIMALS, QTY_DECIMALS)
    stamp = datetime(2026, 11, 24, 10, 4, 24, tzinfo=UTC)
    b, a = subscriber.snapshot(list(bids.items()), list(asks.items()))
    frames = [_frame("snapshot", _levels(b), _levels(a), subscriber.checksum(), None)]
    while len(frames) < count:
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
            _step(rng, bids if rng.random() < 0.5 else asks, bids, asks)
        b, a = subscriber.diff(list(bids.items()), list(asks.items()))
        if not b and not a:
            continue
        stamp += timedelta(microseconds=rng.randrange(200, 40_000))
        iso = stamp.isoformat().replace("+00:00", "Z")
        frames.append(_frame("update", _levels(b), _levels(a), subscriber.checksum(), iso))
    return frames


def _qty(rng: random.Random) -> Decimal:
    return Decimal(rng.randrange(1, 300_000_000)) * LOT


def _step(
    rng: random.Random,
    side: dict[Decimal, Decimal],
    bids: dict[Decimal, Decimal],
    asks: dict[Decimal, Decimal],
) -> None:
    best = sorted(side, reverse=side is bids)[:DEPTH]
    kind = rng.random()
    if kind < 0.6:  # a quantity changes at one of the top levels
        side[rng.choice(best)] = _qty(rng)
    elif kind < 0.8 and len(side) > DEPTH + 2:  # a level is emptied
        del side[rng.choice(best)]
    else:  # a new level inside the book, never crossing the other side
        low, high = (best[-1], best[0]) if side is bids else (best[0], best[-1])
        price = low + TICK * rng.randrange(0, int((high - low) / TICK) + 1)
        crosses = price >= min(asks) if side is bids else price <= max(bids)
        if crosses:
            return
        side[price] = _qty(rng)


STREAMS = {"paper": paper_frames, "kraken-like": kraken_like_frames}
