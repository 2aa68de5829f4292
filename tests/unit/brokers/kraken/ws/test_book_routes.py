"""Through ``KrakenMarketData``: the book fast route ends exactly where the generic path does.

Two clients read the same frames (good ones, odd spellings, junk), one with the fast route and
one with it removed; after every frame their books, health, counters and published events
must be identical (issue 19).
"""

from __future__ import annotations

import json
import random
from decimal import Decimal
from typing import Any

from src.brokers.kraken.ws.backoff import Backoff
from src.brokers.kraken.ws.book import OrderBook
from src.brokers.kraken.ws.market_data import BookUpdate, KrakenMarketData, LiveBook
from src.core.clock import ManualClock
from tests.support.frames import KRAKEN_FIXTURES


def _client() -> KrakenMarketData:
    never = Backoff(initial=3600, cap=3600)  # recovery waits: no request leaves in this test
    md = KrakenMarketData(
        ws_url="ws://127.0.0.1:9",
        rest_url="http://127.0.0.1:9",
        resubscribe_backoff=never,
        clock=ManualClock(),
    )
    md._books["BTC/USD"] = LiveBook(OrderBook("BTC/USD", 10, 1, 8))
    return md


def _oddities(text: str, rng: random.Random) -> str:
    """The same frame spelled oddly or broken, so the fast route must refuse it."""
    frame = json.loads(text, parse_float=Decimal)
    data = frame["data"][0]
    kind = rng.randrange(9)
    if kind == 0:
        return text[: rng.randrange(1, len(text))]  # truncated
    if kind == 1 and data["bids"]:
        data["bids"][0]["price"] = str(data["bids"][0]["price"])  # a JSON string
    elif kind == 2 and data["asks"]:
        data["asks"][0]["qty"] = -1
    elif kind == 3:
        data["checksum"] = rng.choice([True, "x", None, 1.5])
    elif kind == 4:
        frame["data"] = rng.choice([data, [], [data, data], None, "x"])
    elif kind == 5:
        frame["type"] = rng.choice([None, 3, "snapshot"])
    elif kind == 6:
        frame["sequence"] = rng.choice([True, "1", 7])
    elif kind == 7:
        data["symbol"] = rng.choice(["ETH/USD", None, ["BTC/USD"]])
    else:
        data["bids"] = rng.choice([{"price": 1}, "x", 5, [[1, 2]], [{"price": "1e400", "qty": 1}]])
    # a Decimal goes out as a float: often fewer decimals than the pair's, also not canonical
    return json.dumps(frame, default=float, separators=(",", ":"))


def _events(updates: list[BookUpdate]) -> list[tuple[Any, ...]]:
    def typed(levels: tuple[tuple[Any, Any], ...]) -> list[tuple[Any, ...]]:
        return [(p, q, type(p), type(q), str(p), str(q)) for p, q in levels]

    return [(u.symbol, u.snapshot, typed(u.bids), typed(u.asks), u.checksum_ok) for u in updates]


def _health(md: KrakenMarketData) -> tuple[Any, ...]:
    live = md.book("BTC/USD")
    levels = [(p, q, str(p), str(q)) for p, q in live.bids + live.asks]
    return (levels, live.book.checksum_string(), live.book.timestamp, live.stale_since,
            live.stale_reason, live.checksum_failures, live.received_at,
            md.connection.malformed_frames)  # fmt: skip


async def test_fast_route_and_generic_path_agree_frame_by_frame() -> None:
    rng = random.Random(19)
    recorded = json.loads((KRAKEN_FIXTURES / "ws_book_stream.json").read_text())["frames"]
    frames = [recorded[0]]
    for text in recorded[1:]:
        frames.append(_oddities(text, rng) if rng.random() < 0.3 else text)
        if rng.random() < 0.15:
            frames.append(recorded[0])  # a fresh snapshot repairs a stale book
    fast, generic = _client(), _client()
    generic.connection._fast_route = None
    seen: dict[str, list[BookUpdate]] = {"fast": [], "generic": []}
    for name, md in (("fast", fast), ("generic", generic)):
        md._book_out.publish = seen[name].append  # type: ignore[method-assign,assignment]
        md._book_out._queues.append(None)  # type: ignore[arg-type]  # "someone is reading"
    for text in frames:
        assert fast.connection._dispatch(text) == generic.connection._dispatch(text)
        assert _health(fast) == _health(generic)
    assert _events(seen["fast"]) == _events(seen["generic"])
    # the odd frames did reach the books and the reader
    assert fast.book("BTC/USD").checksum_failures >= 5 and fast.connection.malformed_frames >= 5
    assert len(seen["fast"]) > 150
    for md in (fast, generic):
        await md.recovery.close()


async def test_without_readers_no_event_is_built() -> None:
    md = _client()
    recorded = json.loads((KRAKEN_FIXTURES / "ws_book_stream.json").read_text())["frames"]
    built: list[BookUpdate] = []
    md._book_out.publish = built.append  # type: ignore[method-assign,assignment]
    for text in recorded:
        md.connection._dispatch(text)
    assert md.book("BTC/USD", require_valid=True).checksum_failures == 0
    assert built == []
    await md.recovery.close()
