"""WS benchmarks: checksummed book updates vs python-kraken-sdk; add_order over WS vs REST.

Run from the repo root:

    .venv/bin/python -m benchmarks.bench_ws record   # re-record the book stream fixture
    .venv/bin/python -m benchmarks.bench_ws book     # book updates/s, ours vs python-kraken-sdk
    .venv/bin/python -m benchmarks.bench_ws orders   # add_order round trips, WS vs REST
    .venv/bin/python -m benchmarks.bench_ws          # both

The book benchmark replays one recorded stream (``tests/fixtures/kraken/ws_book_stream.json``,
raw frames recorded from the paper exchange) through both clients, from raw text to a checksum
verified book, in the same process; results are ratios against the peer on the same data.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from tqdm import tqdm

from src.brokers.kraken.ws.book import OrderBook
from src.brokers.kraken.ws.frames import decode_frame

STREAM = Path(__file__).resolve().parents[1] / "tests/fixtures/kraken/ws_book_stream.json"
SYMBOL, PRICE_DECIMALS, QTY_DECIMALS, DEPTH = "BTC/USD", 1, 8, 10


async def record(frames: int = 200) -> None:
    """Record ``frames`` book messages (snapshot + updates) from the paper exchange."""
    import websockets

    from src.venues.kraken_paper import PaperExchange

    paper = PaperExchange(market="synthetic", auto_tick=False, rate_limits=False)
    async with paper as ex, websockets.connect(ex.ws_url) as ws:
        params = {"channel": "book", "symbol": [SYMBOL], "depth": DEPTH}
        await ws.send(json.dumps({"method": "subscribe", "params": params}))
        out: list[str] = []
        market = ex.markets["XXBTZUSD"]
        with tqdm(total=frames, desc="recording") as bar:
            while len(out) < frames:
                text = await asyncio.wait_for(ws.recv(), 5)
                if json.loads(text).get("channel") == "book":
                    out.append(str(text))
                    bar.update(1)
                    side = "buy" if len(out) % 2 else "sell"
                    level = market.asks[0] if side == "buy" else market.bids[0]
                    ex.drive(SYMBOL, level[0], market.spec.typical_trade / 10, side)
    payload = {"_source": "paper exchange, BTC/USD depth 10, recorded by bench_ws", "frames": out}
    STREAM.write_text(json.dumps(payload) + "\n")
    print(f"recorded {len(out)} frames to {STREAM}")


def _frames() -> list[str]:
    frames: list[str] = json.loads(STREAM.read_text())["frames"]
    return frames


def run_ours(frames: list[str]) -> tuple[float, int]:
    """Seconds to decode, apply and verify every frame; and how many checksums failed."""
    start = time.perf_counter()
    book = OrderBook(SYMBOL, DEPTH, PRICE_DECIMALS, QTY_DECIMALS)
    failures = 0
    for text in frames:
        frame = decode_frame(text)
        data = frame.data[0]  # type: ignore[union-attr]
        if not book.apply_message(data, snapshot=frame.type == "snapshot"):  # type: ignore[union-attr]
            failures += 1
    return time.perf_counter() - start, failures


def run_sdk(frames: list[str]) -> tuple[float, int]:
    """The same with python-kraken-sdk's ``SpotOrderBookClient`` (its own float decoding)."""
    from kraken.spot import SpotOrderBookClient

    failures = 0

    async def on_update(pair: str, message: dict[str, Any]) -> None:
        nonlocal failures
        if "error" in message:
            failures += 1

    async def main() -> float:
        client = SpotOrderBookClient(depth=DEPTH, callback=on_update)
        # what the client would fetch from REST AssetPairs on the first message
        book = client._SpotOrderBookClient__book  # type: ignore[attr-defined]
        book[SYMBOL] = {"bid": {}, "ask": {}, "valid": True,
                        "price_decimals": PRICE_DECIMALS, "qty_decimals": QTY_DECIMALS}  # fmt: skip
        # a mismatch would resubscribe over the network
        setattr(client, "remove_book", _noop)  # noqa: B010
        setattr(client, "add_book", _noop)  # noqa: B010
        start = time.perf_counter()
        for text in frames:
            await client.on_message(json.loads(text))
        elapsed = time.perf_counter() - start
        with contextlib.suppress(Exception):
            await client.close()
        return elapsed

    return asyncio.run(main()), failures


async def _noop(*args: Any, **kwargs: Any) -> None:
    return None


def bench_book(repeat: int = 20) -> None:
    """Print updates/s for both clients on the recorded stream (best of ``repeat``)."""
    frames = _frames()
    ours = [run_ours(frames) for _ in tqdm(range(repeat), desc="ours")]
    sdk = [run_sdk(frames) for _ in tqdm(range(repeat), desc="python-kraken-sdk")]
    best_ours, best_sdk = min(t for t, _ in ours), min(t for t, _ in sdk)
    print(f"book stream: {len(frames)} frames (BTC/USD depth {DEPTH}), best of {repeat}")
    print(f"  ours (Decimal, checksum every frame): {len(frames) / best_ours:,.0f} msg/s, "
          f"checksum failures {ours[0][1]}")  # fmt: skip
    print(f"  python-kraken-sdk SpotOrderBookClient: {len(frames) / best_sdk:,.0f} msg/s, "
          f"checksum failures {sdk[0][1]}")  # fmt: skip
    print(f"  ratio ours/sdk throughput: {best_sdk / best_ours:.2f}x")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def bench_orders(count: int = 200) -> None:
    """add_order round trips over WS and over REST against the paper exchange."""
    from src.brokers.kraken.limits.gate import NullGate
    from src.brokers.kraken_adapter import KrakenAdapter
    from src.brokers.kraken_order_manager import KrakenOrderManager
    from src.core.execution import Order, OrderType, Side
    from src.venues.kraken_paper import PaperExchange

    async with PaperExchange(market="synthetic", auto_tick=False, rate_limits=False) as ex:
        adapter = KrakenAdapter(api_key=ex.api_key, api_secret=ex.api_secret,
                                base_url=ex.rest_url, ws_url=ex.ws_url,
                                ws_auth_url=ex.ws_auth_url, order_transport="rest",
                                # transport latency only: the venue's limits are off too
                                gate=NullGate())  # fmt: skip
        async with adapter, KrakenOrderManager.for_adapter(adapter) as om:
            low = (ex.markets["XXBTZUSD"].last / 2).quantize(Decimal("0.1"))

            def order() -> Order:
                return Order(symbol=SYMBOL, side=Side.BUY, quantity=Decimal("0.0001"),
                             order_type=OrderType.LIMIT, limit_price=low)  # fmt: skip

            results: dict[str, list[float]] = {"ws": [], "rest": []}
            for name in ("ws", "rest"):
                for i in tqdm(range(count), desc=f"add_order {name}"):
                    start = time.perf_counter()
                    if name == "ws":
                        await om.add_order(order())
                    else:
                        await adapter.submit_orders([order()])
                    results[name].append(time.perf_counter() - start)
                    if i % 50 == 49:
                        await om.cancel_all()
                await om.cancel_all()
    print(f"add_order round trips against the paper exchange ({count} each)")
    for name, values in results.items():
        print(f"  {name:4}: {len(values) / sum(values):7.0f} orders/s  "
              f"p50 {statistics.median(values) * 1e3:6.2f} ms  "
              f"p99 {_pct(values, 0.99) * 1e3:6.2f} ms")  # fmt: skip
    ratio = statistics.median(results["rest"]) / statistics.median(results["ws"])
    print(f"  ratio REST/WS median latency: {ratio:.2f}x")


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "what", nargs="?", default="all", choices=["record", "book", "orders", "all"]
    )
    args = parser.parse_args()
    if args.what == "record":
        asyncio.run(record())
    if args.what in ("book", "all"):
        bench_book()
    if args.what in ("orders", "all"):
        asyncio.run(bench_orders())


if __name__ == "__main__":
    main()
