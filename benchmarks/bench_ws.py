"""WS benchmarks: the book and orders against python-kraken-sdk (PKS), side by side.

Run from the repo root (``bash scripts/bootstrap.sh dev bench`` installs the peers):

    .venv/bin/python -m benchmarks.bench_ws record   # re-record the paper book stream fixture
    .venv/bin/python -m benchmarks.bench_ws book     # book from text and over loopback, vs PKS
    .venv/bin/python -m benchmarks.bench_ws orders   # WS add_order, ours vs PKS's WS client
    .venv/bin/python -m benchmarks.bench_ws ws-vs-rest  # our add_order over WS vs over REST
    .venv/bin/python -m benchmarks.bench_ws          # all of them

``book`` runs both streams of ``benchmarks/book_streams.py`` (the recorded paper stream and the
Kraken-like one) through both clients in the same process, alternated, every checksum verified
and the final books compared (``benchmarks/ws_book_bench.py``); results are ratios against the
peer on the same data, medians of the repetitions, with the machine's load printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from decimal import Decimal

from tqdm import tqdm

from benchmarks.book_streams import DEPTH, STREAM, SYMBOL


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


def bench_book(repeat: int = 21) -> None:
    """Book from raw text and over loopback, ours vs PKS, on both streams."""
    import logging

    from benchmarks.ws_book_bench import bench_loopback, bench_text

    logging.getLogger("kraken").setLevel(logging.CRITICAL)  # PKS logs each closed socket
    for stream in ("kraken-like", "paper"):
        bench_text(stream, repeat)
        bench_loopback(stream, max(5, repeat // 2))


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
        "what",
        nargs="?",
        default="all",
        choices=["record", "book", "orders", "ws-vs-rest", "all"],
    )
    args = parser.parse_args()
    if args.what == "record":
        asyncio.run(record())
    if args.what in ("book", "all"):
        bench_book()
    if args.what in ("orders", "all"):
        from benchmarks.ws_orders_bench import bench_orders as bench_vs_pks

        bench_vs_pks()
    if args.what == "ws-vs-rest":
        asyncio.run(bench_orders())


if __name__ == "__main__":
    main()
