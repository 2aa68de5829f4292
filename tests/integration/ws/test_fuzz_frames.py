"""Malformed frames are logged and skipped, never crashing the client (fuzzed)."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from typing import Any

import websockets
from hypothesis import given, settings
from hypothesis import strategies as st

from src.brokers.kraken.ws.book import BookError, OrderBook
from src.brokers.kraken.ws.frames import ChannelFrame, MalformedFrameError, decode_frame
from src.brokers.kraken.ws.market_data import KrakenMarketData
from tests.support.frames import load_frame
from tests.support.waiting import eventually

KEYS = ["price", "qty", "symbol", "channel", "type", "data", "method", "req_id", "success",
        "checksum", "bids"]  # fmt: skip
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS), children, max_size=5)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=60), st.binary(max_size=60), json_values.map(json.dumps)))
def test_decode_frame_raises_only_malformed(text: Any) -> None:
    try:
        frame = decode_frame(text)
    except MalformedFrameError:
        return
    assert frame is not None


levels = st.lists(
    st.dictionaries(st.sampled_from(["price", "qty"]), json_values, max_size=2), max_size=4
)


@settings(max_examples=300, deadline=None)
@given(levels, levels, json_values)
def test_book_rejects_junk_cleanly_and_keeps_state(bids: Any, asks: Any, checksum: Any) -> None:
    frame = load_frame("ws_book_snapshot.json")
    book = OrderBook("BTC/USD", 10, 1, 8)
    book.apply_message(frame["data"][0], snapshot=True)
    before = (book.bids, book.asks)
    try:
        book.apply_message({"bids": bids, "asks": asks, "checksum": checksum}, snapshot=False)
    except BookError:
        assert (book.bids, book.asks) == before  # nothing half-applied
    assert all(q > 0 for _, q in book.bids + book.asks)
    assert len(book.bids) <= 10 and len(book.asks) <= 10


def _junk(rng: random.Random) -> str | bytes:
    """One malformed frame: broken JSON, wrong shapes, or well-formed JSON with bad fields."""
    good = {"channel": "book", "type": "update",
            "data": [{"symbol": "BTC/USD", "bids": [{"price": 1, "qty": 1}], "asks": [],
                      "checksum": 1}]}  # fmt: skip
    bad_values: list[Any] = [None, "x", -1, [], {}, True, 1e400, "NaN", [[1, 2]], {"a": 1}]
    kind = rng.randrange(7)
    if kind == 0:
        return json.dumps(good)[: rng.randrange(1, 60)]
    if kind == 1:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
    if kind == 2:
        return json.dumps(rng.choice(bad_values))
    frame = json.loads(json.dumps(good))
    channel = rng.choice(["book", "ticker", "trade", "ohlc", "instrument", "status", "zzz"])
    frame["channel"] = channel
    item = frame["data"][0]
    fields = ["bids", "asks", "symbol", "price", "qty", "timestamp", "checksum", "interval"]
    item[rng.choice(fields)] = rng.choice(bad_values)
    if kind == 4:
        frame["data"] = rng.choice(bad_values)
    if kind == 5:
        frame["type"] = rng.choice(bad_values)
    return json.dumps(frame)


async def test_client_survives_a_stream_of_junk() -> None:
    rng = random.Random(20240101)
    snapshot = load_frame("ws_book_snapshot.json")
    instrument = {"channel": "instrument", "type": "snapshot",
                  "data": {"pairs": [{"symbol": "BTC/USD", "price_precision": 1,
                                      "qty_precision": 8}]}}  # fmt: skip

    async def serve(ws: Any) -> None:
        async for text in ws:
            request = json.loads(text)
            if request["method"] != "subscribe":
                continue
            channel = request["params"]["channel"]
            await ws.send(json.dumps({"method": "subscribe", "success": True,
                                      "req_id": request["req_id"],
                                      "result": {"channel": channel}}))  # fmt: skip
            if channel == "instrument":
                await ws.send(json.dumps(instrument))
                continue
            for _ in range(400):
                await ws.send(_junk(rng))
            await ws.send(json.dumps(snapshot, default=str))

    async with websockets.serve(serve, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        url = f"ws://127.0.0.1:{port}"
        async with KrakenMarketData(ws_url=url, rest_url="http://127.0.0.1:9") as md:
            await md.subscribe_book("BTC/USD")
            await md.subscribe_ticker("BTC/USD")
            await eventually(lambda: md.book("BTC/USD").checksum() == 3310070434)
            assert md.connection.connects == 1  # never reconnected, never crashed
            assert md.connection.malformed_frames > 50
            assert md.book("BTC/USD").bids[0] == (Decimal("45283.5"), Decimal("0.1"))


def test_channel_frame_is_plain_data() -> None:
    frame = decode_frame('{"channel":"heartbeat"}')
    assert frame == ChannelFrame("heartbeat", None, None, None, {"channel": "heartbeat"})
