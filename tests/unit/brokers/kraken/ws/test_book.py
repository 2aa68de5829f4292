"""Book maintenance and checksum against Kraken's documented worked examples."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from src.brokers.kraken.ws.book import BookError, OrderBook


def _book_from(frame: dict[str, Any], pp: int, qp: int, depth: int = 10) -> tuple[OrderBook, bool]:
    data = frame["data"][0]
    book = OrderBook(data["symbol"], depth, pp, qp)
    ok = book.apply_message(data, snapshot=frame["type"] == "snapshot")
    return book, ok


def test_btc_doc_snapshot_checksum(frames: Any) -> None:
    book, ok = _book_from(frames("ws_book_snapshot.json"), 1, 8)
    assert ok
    assert book.checksum() == 3310070434
    assert book.checksum_string().startswith("452852100000" + "452864154571953")
    assert book.bids[0] == (Decimal("45283.5"), Decimal("0.1"))
    assert book.asks[0] == (Decimal("45285.2"), Decimal("0.001"))


def test_matic_doc_snapshot_then_update(frames: Any) -> None:
    book, ok = _book_from(frames("ws_book_snapshot_matic.json"), 4, 8)
    assert ok and book.checksum() == 2439117997
    # 18097.1547 must be written to 8 decimals: without padding the doc value is not reached
    assert "56601809715470000" in book.checksum_string()
    update = frames("ws_book_update_matic.json")["data"][0]
    assert book.apply_message(update, snapshot=False)
    assert book.checksum() == 2114181697
    assert book.bids[-1] == (Decimal("0.5657"), Decimal("1098.3947558"))


def test_number_spelling_does_not_change_checksum(frames: Any) -> None:
    """Same levels written as JSON floats, strings or Decimals give the same checksum."""
    frame = frames("ws_book_snapshot_matic.json")
    data = frame["data"][0]
    as_float = {
        "bids": [{"price": float(x["price"]), "qty": float(x["qty"])} for x in data["bids"]],
        "asks": [{"price": float(x["price"]), "qty": float(x["qty"])} for x in data["asks"]],
        "checksum": data["checksum"],
    }
    as_str = {
        "bids": [{"price": str(x["price"]), "qty": str(x["qty"])} for x in data["bids"]],
        "asks": [{"price": str(x["price"]), "qty": str(x["qty"])} for x in data["asks"]],
        "checksum": data["checksum"],
    }
    for variant in (as_float, as_str):
        book = OrderBook("MATIC/USD", 10, 4, 8)
        assert book.apply_message(variant, snapshot=True)


def test_wrong_checksum_detected(frames: Any) -> None:
    frame = frames("ws_book_snapshot.json")
    frame["data"][0]["checksum"] = 3310070435
    _, ok = _book_from(frame, 1, 8)
    assert not ok


def test_delete_and_truncate_to_depth() -> None:
    book = OrderBook("X/USD", 10, 1, 2)
    book.apply(
        [{"price": Decimal(100 - i), "qty": 1} for i in range(10)],
        [{"price": Decimal(101 + i), "qty": 1} for i in range(10)],
        snapshot=True,
    )
    # an insert in the middle pushes the worst bid out without a qty 0 for it
    book.apply([{"price": Decimal("95.5"), "qty": 2}], [], snapshot=False)
    assert len(book.bids) == 10
    assert book.bids[-1][0] == Decimal(92)
    assert (Decimal("95.5"), Decimal(2)) in book.bids
    # same price repeated in one message: the last wins; qty 0 removes
    book.apply([], [{"price": 101, "qty": 5}, {"price": 101, "qty": 0}], snapshot=False)
    assert book.asks[0][0] == Decimal(102)
    assert [p for p, _ in book.asks] == sorted(p for p, _ in book.asks)


def test_bad_level_leaves_book_unchanged(frames: Any) -> None:
    book, _ = _book_from(frames("ws_book_snapshot.json"), 1, 8)
    before = book.checksum()
    with pytest.raises(BookError, match=r"bids\[1\]\.qty"):
        book.apply(
            [{"price": "45283.5", "qty": "0"}, {"price": "1", "qty": "-1"}], [], snapshot=False
        )
    with pytest.raises(BookError, match="price"):
        book.apply([{"price": "abc", "qty": "1"}], [], snapshot=False)
    assert book.checksum() == before


def test_invalid_depth_rejected() -> None:
    with pytest.raises(BookError, match="depth"):
        OrderBook("BTC/USD", 7, 1, 8)


def test_recorded_stream_every_checksum_matches() -> None:
    """200 frames recorded from the paper exchange (snapshot + updates), each checksum held."""
    import json

    from src.brokers.kraken.ws.frames import ChannelFrame, decode_frame
    from tests.support.frames import KRAKEN_FIXTURES as FIXTURES

    frames = json.loads((FIXTURES / "ws_book_stream.json").read_text())["frames"]
    book = OrderBook("BTC/USD", 10, 1, 8)
    results = []
    for text in frames:
        frame = decode_frame(text)
        assert isinstance(frame, ChannelFrame)
        results.append(book.apply_message(frame.data[0], snapshot=frame.type == "snapshot"))
    assert len(results) == 200 and all(results)
    assert len(book.bids) == 10 and len(book.asks) == 10
