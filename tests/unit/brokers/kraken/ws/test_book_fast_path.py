"""The book's fast path gives exactly the books and checksums of the book before it (issue 19).

Three ways to apply a frame must agree level by level, digit by digit: ``ReferenceBook`` (the
book as it was, verbatim), ``OrderBook.apply_message`` on a ``Decimal``-decoded frame, and
``OrderBook.apply_wire_message`` on a ``WIRE_DECODER`` frame, which either applies it the same
or refuses it with nothing changed.
"""

from __future__ import annotations

import json
import random
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from src.brokers.kraken.ws.book import WIRE_DECODER, BookError, OrderBook
from src.brokers.kraken.ws.frames import ChannelFrame, decode_frame
from src.venues.kraken_paper.ws_book import SubscriberBook
from tests.support.frames import KRAKEN_FIXTURES
from tests.unit.brokers.kraken.ws.reference_book import BookError as ReferenceError
from tests.unit.brokers.kraken.ws.reference_book import ReferenceBook

TICK = Decimal("0.1")


def _state(book: OrderBook | ReferenceBook) -> tuple[Any, ...]:
    # str() too: the same Decimal spelling (exponent), not only the same value
    bids = [(p, q, str(p), str(q)) for p, q in book.bids]
    asks = [(p, q, str(p), str(q)) for p, q in book.asks]
    return bids, asks, book.checksum_string(), book.checksum(), book.timestamp, len(book)


def recorded_frames() -> list[str]:
    frames: list[str] = json.loads((KRAKEN_FIXTURES / "ws_book_stream.json").read_text())["frames"]
    return frames


def small_update_frames(count: int, seed: int) -> list[str]:
    """Kraken-sized updates (1-3 levels) diffed and checksummed by the paper exchange's code."""
    rng = random.Random(seed)
    bids = {
        Decimal("100.0") - TICK * i: Decimal(rng.randrange(1, 10**8)) / 10**8 for i in range(20)
    }
    asks = {
        Decimal("100.1") + TICK * i: Decimal(rng.randrange(1, 10**8)) / 10**8 for i in range(20)
    }
    sub = SubscriberBook(10, 1, 8)

    def levels_text(levels: list[tuple[Decimal, Decimal]]) -> str:
        # JSON number literals spelled as Kraken spells them: price at 1 decimal, qty at 8
        return (
            "["
            + ",".join(f'{{"price":{p:.1f},"qty":{f"{q:.8f}" if q else "0"}}}' for p, q in levels)
            + "]"
        )

    def text(kind: str, levels: tuple[list[Any], list[Any]]) -> str:
        return (
            f'{{"channel":"book","type":"{kind}","data":[{{"symbol":"BTC/USD",'
            f'"bids":{levels_text(levels[0])},"asks":{levels_text(levels[1])},"checksum":{sub.checksum()}}}]}}'
        )

    frames = [text("snapshot", sub.snapshot(list(bids.items()), list(asks.items())))]
    while len(frames) < count:
        side = bids if rng.random() < 0.5 else asks
        best = sorted(side, reverse=side is bids)[:10]
        roll = rng.random()
        if roll < 0.6:
            side[rng.choice(best)] = Decimal(rng.randrange(1, 10**8)) / 10**8
        elif roll < 0.8 and len(side) > 12:
            del side[rng.choice(best)]
        else:
            side[best[-1] + (TICK if side is asks else -TICK) * rng.randrange(1, 4)] = Decimal(1)
        levels = sub.diff(list(bids.items()), list(asks.items()))
        if levels[0] or levels[1]:
            frames.append(text("update", levels))
    return frames


@pytest.mark.parametrize("source", ["recorded", "small-updates"])
def test_every_frame_same_book_on_all_three_paths(source: str) -> None:
    frames = recorded_frames() if source == "recorded" else small_update_frames(400, seed=3)
    reference, decimal_path, wire_path = (
        ReferenceBook("BTC/USD", 10, 1, 8),
        OrderBook("BTC/USD", 10, 1, 8),
        OrderBook("BTC/USD", 10, 1, 8),
    )
    for text in frames:
        frame = decode_frame(text)
        assert isinstance(frame, ChannelFrame)
        snapshot = frame.type == "snapshot"
        expected = reference.apply_message(frame.data[0], snapshot=snapshot)
        assert decimal_path.apply_message(frame.data[0], snapshot=snapshot) is expected is True
        wire = WIRE_DECODER.decode(text)["data"][0]
        assert wire_path.apply_wire_message(wire, snapshot=snapshot) is True  # canonical
        assert _state(decimal_path) == _state(reference) == _state(wire_path)


def _literal(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


numbers = st.one_of(
    st.decimals(min_value=0, max_value=10**6, places=1).map(lambda d: f"{d:.1f}"),
    st.decimals(min_value=0, max_value=10**6, places=3).map(lambda d: f"{d:.3f}"),
    st.decimals(min_value=0, max_value=10, places=8).map(lambda d: f"{d:.8f}"),
    st.integers(min_value=-5, max_value=10**6).map(str),
    st.sampled_from(["0", "0.0", "0.00000000", "-1.5", "1e3", "1.5E-2", "100.10", "2.5e+1"]),
    st.sampled_from(['"30500.7"', '"00.5"', '"abc"', "true", "null", "[]", "{}"]),
)
prices = st.decimals(min_value=30400, max_value=30600, places=1).map(lambda d: f"{d:.1f}")
quantities = st.decimals(min_value=0, max_value=1, places=8).map(lambda d: f"{d:.8f}")
canonical = st.fixed_dictionaries({"price": prices, "qty": quantities | st.just("0")})
# mostly canonical levels, so whole messages take the fast path, with odd ones mixed in
level = canonical | canonical | st.fixed_dictionaries({"price": numbers, "qty": numbers})
messages = st.tuples(
    st.lists(level, max_size=12), st.lists(level, max_size=12), st.booleans()
) | st.tuples(st.lists(canonical, max_size=12), st.lists(canonical, max_size=12), st.booleans())


def _message_text(bids: list[Any], asks: list[Any], checksum: bool, book: ReferenceBook) -> str:
    def side(levels: list[Any]) -> str:
        return "[" + ",".join(f'{{"price":{x["price"]},"qty":{x["qty"]}}}' for x in levels) + "]"

    tail = f',"checksum":{book.checksum()}' if checksum else ""
    return f'{{"bids":{side(bids)},"asks":{side(asks)}{tail}}}'


@settings(max_examples=400, deadline=None)
@given(st.lists(messages, min_size=1, max_size=6))
def test_any_spelling_same_result_or_refused_unchanged(stream: list[Any]) -> None:
    """Odd spellings (more decimals, ints, signs, exponents, strings) never change a result."""
    start = decode_frame(recorded_frames()[0])
    assert isinstance(start, ChannelFrame)
    reference, book = ReferenceBook("BTC/USD", 10, 1, 8), OrderBook("BTC/USD", 10, 1, 8)
    reference.apply_message(start.data[0], snapshot=True)
    book.apply_message(start.data[0], snapshot=True)
    for bids, asks, with_checksum in stream:
        text = _message_text(bids, asks, with_checksum, reference)
        before = _state(book)
        wire: bool | str | None = book.apply_wire_message(WIRE_DECODER.decode(text), snapshot=False)
        if wire is None:
            assert _state(book) == before  # refused: nothing half-applied
        data = json.loads(text, parse_float=Decimal)
        try:
            expected: bool | str = reference.apply_message(data, snapshot=False)
        except ReferenceError as exc:
            expected = str(exc)
        if wire is None:
            wire = _apply_or_error(book, data)
        assert wire == expected
        assert _state(book) == _state(reference)


def _apply_or_error(book: OrderBook, data: dict[str, Any]) -> bool | str:
    try:
        return book.apply_message(data, snapshot=False)
    except BookError as exc:
        return str(exc)
