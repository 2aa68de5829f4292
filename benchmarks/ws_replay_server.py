"""A loopback WS v2 server that replays one book stream to each subscriber (for bench_ws).

Run by the benchmark as its own process (so its CPU is not the client's):
``python -m benchmarks.ws_replay_server paper`` prints ``port N`` and serves on 127.0.0.1 until
its standard input closes. It answers ``subscribe`` (``instrument`` with BTC/USD's precisions,
``book`` with the whole stream sent as fast as the socket takes it) and ``ping``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import websockets

from benchmarks.book_streams import PRICE_DECIMALS, QTY_DECIMALS, STREAMS, SYMBOL

PAIR = {"symbol": SYMBOL, "price_precision": PRICE_DECIMALS, "qty_precision": QTY_DECIMALS}
INSTRUMENT = json.dumps({"channel": "instrument", "type": "snapshot", "data": {"pairs": [PAIR]}})


async def serve(frames: list[str]) -> None:
    """Serve until standard input closes."""

    async def handler(ws: Any) -> None:
        async for text in ws:
            request = json.loads(text)
            method, req_id = request.get("method"), request.get("req_id")
            if method == "ping":
                await ws.send(json.dumps({"method": "pong", "req_id": req_id}))
                continue
            params = request.get("params") or {}
            channel = params.get("channel")
            result = {"channel": channel, "symbol": (params.get("symbol") or [None])[0]}
            await ws.send(json.dumps({"method": method, "success": True, "req_id": req_id,
                                      "result": result}))  # fmt: skip
            if method == "subscribe" and channel == "instrument":
                await ws.send(INSTRUMENT)
            elif method == "subscribe" and channel == "book":
                for frame in frames:
                    await ws.send(frame)

    async with websockets.serve(handler, "127.0.0.1", 0, max_queue=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"port {port}", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(serve(STREAMS[sys.argv[1]]()))
