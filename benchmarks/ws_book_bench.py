"""WS v2 book: ours against python-kraken-sdk (PKS), from raw text and over a loopback socket.

Both clients get the same frames in the same run, alternated, every checksum verified:

* **from text**: each client's real per-frame loop fed by a socket stand-in whose ``recv()``
  returns the next recorded frame. Ours: ``WsConnection._read`` (recv, the book fast route or
  decode-and-route, ``KrakenMarketData``'s book handler). PKS: its connector's own ``__run``
  loop (``asyncio.wait_for(recv)``, ``json.loads``, subscription bookkeeping, then
  ``SpotOrderBookClient.on_message``), with ``websockets.connect`` pointed at the stand-in.
* **loopback**: a subscribed client of each kind against ``benchmarks.ws_replay_server`` (its
  own process), from the subscribe request until the last frame is applied; CPU is the client
  process's only.

After every run the final books are compared level by level (ours against PKS's strings), so
a faster client that kept a different book would fail here.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import websockets

from benchmarks.book_streams import DEPTH, PRICE_DECIMALS, QTY_DECIMALS, STREAMS, SYMBOL
from benchmarks.measure import Samples, alternate, cpu_seconds, load_line
from src.brokers.kraken.ws.book import OrderBook
from src.brokers.kraken.ws.market_data import KrakenMarketData
from src.brokers.kraken.ws.market_models import LiveBook

Levels = list[tuple[str, str]]


class ReplaySocket:
    """A socket stand-in: ``recv()`` returns the next frame, then the connection is closed."""

    def __init__(self, frames: list[str]) -> None:
        self._frames = iter(frames)

    async def recv(self) -> str:
        try:
            return next(self._frames)
        except StopIteration:
            raise websockets.ConnectionClosed(None, None) from None

    async def send(self, text: str) -> None:
        return None

    async def close(self) -> None:
        return None


def _ours_levels(book: OrderBook) -> tuple[Levels, Levels]:
    def side(levels: list[tuple[Decimal, Decimal]]) -> Levels:
        return [(f"{p:.{PRICE_DECIMALS}f}", f"{q:.{QTY_DECIMALS}f}") for p, q in levels]

    return side(book.bids), side(book.asks)


def _pks_levels(book: dict[str, Any]) -> tuple[Levels, Levels]:
    return (
        [(p, v) for p, (v, _) in book["bid"].items()],
        [(p, v) for p, (v, _) in book["ask"].items()],
    )


def _pks_client(counter: list[int], ws_url: str | None = None) -> Any:
    from kraken.spot import SpotOrderBookClient

    async def on_update(pair: str, message: dict[str, Any]) -> None:
        counter[0 if "error" not in message else 1] += 1

    client: Any = SpotOrderBookClient(depth=DEPTH, callback=on_update)  # its privates below
    if ws_url is not None:  # SpotOrderBookClient takes no URL; its connector keeps it here
        client._pub_conn._ConnectSpotWebsocketBase__ws_endpoint = ws_url
    # It fetches the precisions from REST AssetPairs on the first message (and again after
    # every subscribe ack): answer locally, never over the network.
    client._SpotOrderBookClient__market = _LocalAssetPairs()
    setattr(client, "remove_book", _noop)  # noqa: B010 - a mismatch would resubscribe
    setattr(client, "add_book", _noop)  # noqa: B010
    return client


class _LocalAssetPairs:
    """What Kraken's AssetPairs says about the pair, for PKS's book."""

    def get_asset_pairs(self, pair: str) -> dict[str, dict[str, int]]:
        return {pair: {"pair_decimals": PRICE_DECIMALS, "lot_decimals": QTY_DECIMALS}}


async def _noop(*args: Any, **kwargs: Any) -> None:
    return None


def text_ours(frames: list[str], books: list[tuple[Levels, Levels]]) -> float:
    """CPU seconds for ours to take ``frames`` through ``WsConnection._read``."""

    async def main() -> float:
        md = KrakenMarketData(ws_url="ws://127.0.0.1:9", rest_url="http://127.0.0.1:9")
        live = md._books[SYMBOL] = LiveBook(OrderBook(SYMBOL, DEPTH, PRICE_DECIMALS, QTY_DECIMALS))
        start = cpu_seconds()
        await md.connection._read(ReplaySocket(frames))  # type: ignore[arg-type]
        elapsed = cpu_seconds() - start
        assert live.valid and live.checksum_failures == 0, live.stale_reason
        books.append(_ours_levels(live.book))
        return elapsed

    return asyncio.run(main())


def text_pks(frames: list[str], books: list[tuple[Levels, Levels]]) -> float:
    """CPU seconds for PKS's connector loop and ``SpotOrderBookClient`` to take ``frames``."""
    import importlib

    connectors: Any = importlib.import_module("kraken.spot.websocket.connectors")

    async def main() -> float:
        counter = [0, 0]
        client = _pks_client(counter)

        @contextlib.asynccontextmanager
        async def connect(*args: Any, **kwargs: Any) -> AsyncIterator[ReplaySocket]:
            yield ReplaySocket(frames)

        real, connectors.connect = connectors.connect, connect
        try:
            start = cpu_seconds()
            with contextlib.suppress(websockets.ConnectionClosed):
                await client._pub_conn._ConnectSpotWebsocketBase__run(asyncio.Event())
            elapsed = cpu_seconds() - start
        finally:
            connectors.connect = real
            await client.close()  # its REST session
        assert counter == [len(frames), 0], counter
        books.append(_pks_levels(client.get(SYMBOL)))
        return elapsed

    return asyncio.run(main())


async def _poll(done: Any) -> None:
    # The same 0.5 ms poll for both clients: ours has no per-frame callback to set an event.
    while not done():  # noqa: ASYNC110
        await asyncio.sleep(0.0005)


def loopback_ours(url: str, frames: list[str], books: list[tuple[Levels, Levels]]) -> float:
    """CPU seconds (this process) for a subscribed ``KrakenMarketData`` to take the stream."""
    last = _last_timestamp(frames)

    async def main() -> tuple[float, float]:
        async with KrakenMarketData(ws_url=url, rest_url="http://127.0.0.1:9") as md:
            await md.precision(SYMBOL)  # the instrument round trip is not part of the stream
            wall, cpu = time.perf_counter(), cpu_seconds()
            await md.subscribe_book(SYMBOL, depth=DEPTH)
            live = md.book(SYMBOL)
            await _poll(lambda: live.book.timestamp == last and live.valid)
            wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
            assert live.checksum_failures == 0
            books.append(_ours_levels(live.book))
        return wall, cpu

    wall, cpu = asyncio.run(main())
    _WALL.setdefault("ours", []).append(wall)
    return cpu


def loopback_pks(url: str, frames: list[str], books: list[tuple[Levels, Levels]]) -> float:
    """CPU seconds for a subscribed PKS ``SpotOrderBookClient`` to take the stream."""

    async def main() -> tuple[float, float]:
        counter = [0, 0]
        client = _pks_client(counter, url)
        await client.start()
        try:
            wall, cpu = time.perf_counter(), cpu_seconds()
            await client.subscribe(params={"channel": "book", "symbol": [SYMBOL], "depth": DEPTH})
            await _poll(lambda: counter[0] + counter[1] >= len(frames))
            wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
            assert counter == [len(frames), 0], counter
            books.append(_pks_levels(client.get(SYMBOL)))
        finally:
            await _close_pks(client)
        return wall, cpu

    wall, cpu = asyncio.run(main())
    _WALL.setdefault("pks", []).append(wall)
    return cpu


_WALL: dict[str, list[float]] = {}


async def _close_pks(client: Any) -> None:
    # PKS's close waits out its 10 s recv timeout on an idle socket; drop the socket first.
    conn = client._pub_conn
    conn.keep_alive = False
    with contextlib.suppress(Exception):
        await conn.socket.close()
    try:
        await asyncio.wait_for(client.close(), 2)
    except TimeoutError:
        conn.task.cancel()


def _last_timestamp(frames: list[str]) -> str:
    import json

    stamp: str = json.loads(frames[-1])["data"][0]["timestamp"]
    return stamp


def _check_same(books: list[tuple[Levels, Levels]]) -> None:
    first = books[0]
    assert all(book == first for book in books), "the clients ended with different books"


def _report(title: str, frames: int, ours: Samples, pks: Samples, unit: str) -> None:
    print(f"{title}: {frames} frames, median of {len(ours.values)} alternated runs ({load_line()})")
    for s in (ours, pks):
        print(f"  {s.name:5} {s.median / frames * 1e6:8.1f} us/frame {unit}  "
              f"{frames / s.median:9,.0f} frames/s   (runs {s.spread()} s)")  # fmt: skip
    print(f"  ratio ours vs PKS: {pks.median / ours.median:.2f}x")


def bench_text(stream: str, repeat: int) -> None:
    """From raw text through each client's per-frame loop."""
    frames = STREAMS[stream]()
    books: list[tuple[Levels, Levels]] = []
    ours, pks = alternate([("ours", lambda: text_ours(frames, books)),
                           ("PKS", lambda: text_pks(frames, books))], repeat)  # fmt: skip
    _check_same(books)
    _report(f"book from text [{stream}]", len(frames), ours, pks, "CPU")


def bench_loopback(stream: str, repeat: int) -> None:
    """Over a loopback socket from ``ws_replay_server`` in its own process."""
    frames = STREAMS[stream]()
    server = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "benchmarks.ws_replay_server", stream],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline().split()[1])
        url = f"ws://127.0.0.1:{port}/v2"
        books: list[tuple[Levels, Levels]] = []
        _WALL.clear()
        runs = [
            ("ours", lambda: loopback_ours(url, frames, books)),
            ("PKS", lambda: loopback_pks(url, frames, books)),
        ]
        ours, pks = alternate(runs, repeat)
        _check_same(books)
        _report(f"book over loopback [{stream}] (client CPU)", len(frames), ours, pks, "CPU")
        wall_ours, wall_pks = Samples("ours", _WALL["ours"]), Samples("PKS", _WALL["pks"])
        print(f"  wall: ours {wall_ours.median / len(frames) * 1e6:.1f} us/frame, PKS "
              f"{wall_pks.median / len(frames) * 1e6:.1f} us/frame, "
              f"ratio {wall_pks.median / wall_ours.median:.2f}x")  # fmt: skip
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=10)
