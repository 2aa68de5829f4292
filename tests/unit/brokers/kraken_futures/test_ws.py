"""WebSocket v1 pieces without a socket: feed parsing, the book's sequence checks, fills once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from src.brokers.kraken_futures.book import BookGapError, L2Book
from src.brokers.kraken_futures.streams.fills import FillStream
from src.brokers.kraken_futures.ws.frames import MalformedFrameError, decode, subscribe_message
from src.brokers.kraken_futures.ws.parse import ws_fill, ws_order_update, ws_ticker
from src.core.clock import Clock, ManualClock
from src.core.execution import Fill, Liquidity, OrderStatus, OrderUpdate, Side
from tests.unit.brokers.kraken_futures.conftest import load

D = Decimal


def test_fills_snapshot_sample() -> None:
    [raw] = load("ws_fills_snapshot")["fills"]
    fill = ws_fill(raw)
    assert fill.symbol == "FI_XBTUSD_200925" and fill.side is Side.BUY
    assert fill.quantity == D(5000) and fill.fee == D("-0.00009142857")
    assert fill.fee_currency == "BTC" and fill.liquidity is Liquidity.MAKER
    assert fill.timestamp == datetime(2020, 9, 16, 11, 48, 30, 739000, tzinfo=UTC)


def test_open_orders_delta_sample_and_removal() -> None:
    update = ws_order_update(load("ws_open_orders_delta"))
    assert isinstance(update, OrderUpdate)
    assert update.side is Side.SELL and update.quantity == D(304)
    assert update.status is OrderStatus.OPEN and update.stop_price is None
    assert ws_order_update({"feed": "open_orders", "order_id": "x", "is_cancel": True}) == "x"


def test_ticker_sample() -> None:
    ticker = ws_ticker(load("ws_ticker"))
    assert ticker.mark_price == D("21979.68641534714") and ticker.index_price == D("21984.54")
    assert ticker.relative_funding_rate == D("-0.000001380384722222")


def test_book_snapshot_delta_and_gap() -> None:
    snapshot, delta = load("ws_book_snapshot"), load("ws_book_delta")
    book = L2Book("PI_XBTUSD")
    bids = [(D(str(r["price"])), D(str(r["qty"]))) for r in snapshot["bids"]]
    asks = [(D(str(r["price"])), D(str(r["qty"]))) for r in snapshot["asks"]]
    book.load(bids, asks, snapshot["seq"])
    assert book.best_ask == D("34911.5")
    book.apply(delta["side"], D(str(delta["price"])), D(delta["qty"]), delta["seq"])
    assert book.best_ask is None  # qty 0 removed the only ask
    book.apply("buy", D(1), D(1), delta["seq"])  # a repeat: ignored
    assert D(1) not in book.bids_by_price
    with pytest.raises(BookGapError):
        book.apply("buy", D(1), D(1), delta["seq"] + 2)
    assert not book.valid


def test_frames() -> None:
    assert decode('{"feed":"x","price":1.5}')["price"] == D("1.5")
    with pytest.raises(MalformedFrameError):
        decode("[1]")
    with pytest.raises(MalformedFrameError):
        decode("{not json")
    auth = {"api_key": "k", "original_challenge": "c", "signed_challenge": "s"}
    assert subscribe_message("fills", auth=auth) == {"event": "subscribe", "feed": "fills", **auth}


class Source:
    def __init__(self, clock: ManualClock, rest: list[Fill]) -> None:
        self.clock: Clock = clock
        self.fill_poll_interval = 1.0
        self.rest = rest

    async def get_fills(self, since: datetime | None = None) -> list[Fill]:
        return [f for f in self.rest if since is None or f.timestamp >= since]


def _row(fill_id: str, ms: int) -> dict[str, object]:
    return {
        "instrument": "PF_XBTUSD", "time": ms, "price": 100, "seq": 1, "buy": True, "qty": 1,
        "order_id": "o", "fill_id": fill_id, "fill_type": "taker", "fee_paid": 0.05,
        "fee_currency": "USD",
    }  # fmt: skip


async def test_each_fill_once_across_snapshot_delta_and_rest_reconcile() -> None:
    clock = ManualClock(wall_start=datetime(2024, 1, 1, tzinfo=UTC))
    start_ms = int(clock.now().timestamp() * 1000)
    source = Source(clock, [])
    stream = FillStream(source)
    got: list[str] = []

    async def consume() -> None:
        async for fill in stream.subscribe():
            got.append(fill.fill_id)

    task = asyncio.ensure_future(consume())
    await asyncio.sleep(0)
    stream.on_frame({"feed": "fills_snapshot", "fills": [_row("old", start_ms - 5000)]})
    stream.on_frame({"feed": "fills", "fills": [_row("a", start_ms + 1)]})
    stream.on_disconnected()
    clock.advance(5)
    rest_fill = ws_fill(_row("c", start_ms + 3000))
    source.rest = [ws_fill(_row("a", start_ms + 1)), rest_fill]
    # after the reconnect the snapshot repeats a and adds b; REST adds c
    stream.on_frame({"feed": "fills_snapshot",
                     "fills": [_row("a", start_ms + 1), _row("b", start_ms + 2000)]})  # fmt: skip
    await stream.on_connected()
    stream.on_frame({"feed": "fills", "fills": [_row("c", start_ms + 3000)]})
    await asyncio.sleep(0)
    assert got == ["a", "b", "c"]  # "old" predates the subscription: history, not news
    await stream.close()
    await task
