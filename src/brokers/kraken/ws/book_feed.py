"""The books of one ``KrakenMarketData``: book frames in, ``LiveBook`` state and events out.

Two ways in, one result. ``on_text`` is the hot path, given the raw text of a frame that starts
like a book frame (``BOOK_PREFIX``): it decodes once with ``WIRE_DECODER`` and applies canonical
levels as text (``OrderBook.apply_wire_message``); it refuses anything else unchanged, and the
connection then decodes the frame with ``Decimal`` and hands its data to ``on_item``, the
generic path. Both end in ``_applied`` (health, recovery, the ``BookUpdate`` event, built only
when someone iterates).
"""

from __future__ import annotations

import logging
from datetime import UTC
from decimal import Decimal
from typing import Any

from src.brokers.kraken.ws.book import WIRE_DECODER, BookError, WireNumber
from src.brokers.kraken.ws.book_recovery import BookRecovery
from src.brokers.kraken.ws.fanout import Fanout
from src.brokers.kraken.ws.frames import ChannelFrame
from src.brokers.kraken.ws.market_models import BookUpdate, LiveBook
from src.core.clock import Clock

__all__ = ["BOOK_PREFIX", "BookFeed"]

log = logging.getLogger("src.brokers.kraken.ws.public")  # the market data's log, as before

#: How Kraken (and the paper exchange) start every book frame; others take the generic path.
BOOK_PREFIX = '{"channel":"book",'


class BookFeed:
    """Applies book frames to the subscribed books and publishes what changed.

    Args:
        clock: message ages and stale times.
        recovery: told of every failure and snapshot, to repair stale books.
    """

    def __init__(self, clock: Clock, recovery: BookRecovery) -> None:
        self._clock = clock
        self._recovery = recovery
        self.books: dict[str, LiveBook] = {}
        self.out: Fanout[BookUpdate] = Fanout()

    def on_item(self, frame: ChannelFrame, data: dict[str, Any]) -> None:
        """One ``book`` data object from the generic path (numbers as ``Decimal``)."""
        symbol = data.get("symbol")
        live = self.books.get(symbol) if isinstance(symbol, str) else None
        if live is None:
            return
        snapshot = frame.type == "snapshot"
        if not snapshot and live.stale:
            return  # waiting for the snapshot that repairs this book
        problem = None
        try:
            if not live.book.apply_message(data, snapshot=snapshot):
                problem = "checksum mismatch"
        except BookError as exc:
            log.warning("book %s: bad message skipped: %s", symbol, exc)
            problem = f"message could not be applied ({exc})"
        self._applied(live, data, snapshot, problem)

    def on_text(self, text: str) -> bool:
        """The hot path of a ``book`` frame: decoded once, levels read as literal text.

        Handles a frame of the one usual shape (one data object, canonical levels) exactly as
        the generic path (``FrameReader._dispatch`` -> ``on_item``) would; returns False,
        having changed nothing, for any other frame, which then takes that generic path.
        """
        try:  # raw_decode skips decode()'s two whitespace regexes; Kraken sends none
            message, end = WIRE_DECODER.raw_decode(text)
        except ValueError:
            return False
        if end != len(text):
            return False
        if type(message) is not dict or message.get("channel") != "book":
            return False
        kind, items = message.get("type"), message.get("data")
        sequence = message.get("sequence")
        if type(kind) is not str or type(items) is not list or len(items) != 1:
            return False
        if sequence is not None and type(sequence) is not int:
            return False
        data = items[0]
        if type(data) is not dict:
            return False
        symbol = data.get("symbol")
        live = self.books.get(symbol) if type(symbol) is str else None
        if live is None:
            return True
        snapshot = kind == "snapshot"
        if not snapshot and live.stale:
            return True  # waiting for the snapshot that repairs this book
        ok = live.book.apply_wire_message(data, snapshot=snapshot)
        if ok is None:
            return False
        self._applied(live, data, snapshot, None if ok else "checksum mismatch")
        return True

    def _applied(
        self, live: LiveBook, data: dict[str, Any], snapshot: bool, problem: str | None
    ) -> None:
        live.received_at = self._clock.monotonic()
        if problem is None and snapshot:
            live.mark_valid(live.received_at)
        elif problem is not None:
            live.checksum_failures += 1
            live.mark_stale(
                f"{problem} on {'snapshot' if snapshot else 'update'}",
                self._clock.now().astimezone(UTC),
            )
            log.warning("book %s: %s; stale until a fresh snapshot", live.symbol, problem)
            self._recovery.failed(live)
        if snapshot:
            self._recovery.snapshot_seen(live.symbol)
        if self.out.has_readers:  # nobody iterating: no tuples, no event
            levels = _levels(data, "bids"), _levels(data, "asks")
            self.out.publish(BookUpdate(live.symbol, snapshot, *levels, problem is None, live))


def _levels(data: dict[str, Any], side: str) -> tuple[tuple[Any, Any], ...]:
    levels = data.get(side) or ()
    return tuple(
        (_number(x.get("price")), _number(x.get("qty"))) for x in levels if isinstance(x, dict)
    )


def _number(value: Any) -> Any:
    # A float literal kept as text by the fast path reads as the Decimal the generic path has.
    return Decimal(value) if type(value) is WireNumber else value
