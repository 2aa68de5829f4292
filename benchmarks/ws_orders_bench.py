"""WS v2 orders: ours against python-kraken-sdk's (PKS) WS client on the paper exchange.

Both place the same resting limit buy (``add_order``, far from the market so nothing fills)
over the private WS v2 socket of the paper exchange, which runs in its own process; each round
runs ours then PKS (the order swapped every other round) and every 50 orders both cancel all,
outside the timing; ``PKS+exec`` is PKS with its socket also subscribed to ``executions``, as
ours is (the same frames per order). The round trip is from the call until the reply is in
the caller's hands:
ours ``KrakenOrderManager.add_order`` (an ``OrderAck``; its stream also takes the executions
and balances frames each order causes), PKS ``SpotWSClient.send_message`` then the reply with
that ``req_id`` in its callback. CPU per order is this process's CPU over the orders (frames
read in the background included) divided by their number.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
import uuid
from decimal import Decimal
from typing import Any

from benchmarks.bench_rest import Server, start_server
from benchmarks.measure import cpu_seconds, load_line
from src.brokers.kraken.limits.gate import NullGate
from src.core.execution import Order, OrderType, Side

SYMBOL, QTY, PRICE = "BTC/USD", Decimal("0.0001"), Decimal("10000.0")
BATCH = 50  # orders between cancel-alls (the paper exchange's open-order limit is 60+)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def ours(server: Server, count: int) -> tuple[list[float], float]:
    """Round trips (s) and CPU (s) of ``count`` orders through ``KrakenOrderManager``."""
    from src.brokers.kraken_adapter import KrakenAdapter
    from src.brokers.kraken_order_manager import KrakenOrderManager

    server.new_key()
    adapter = KrakenAdapter(api_key=server.key, api_secret=server.secret, base_url=server.url,
                            ws_url=server.ws_url, ws_auth_url=server.ws_auth_url,
                            order_transport="rest", gate=NullGate())  # fmt: skip
    times: list[float] = []
    cpu = 0.0
    async with adapter, KrakenOrderManager.for_adapter(adapter) as om:
        for start in range(0, count, BATCH):
            orders = [Order(symbol=SYMBOL, side=Side.BUY, quantity=QTY,
                            order_type=OrderType.LIMIT, limit_price=PRICE)
                      for _ in range(min(BATCH, count - start))]  # fmt: skip
            begin = cpu_seconds()
            for order in orders:
                sent = time.perf_counter()
                await om.add_order(order)
                times.append(time.perf_counter() - sent)
            await asyncio.sleep(0.01)  # the executions frames that trail the last reply
            cpu += cpu_seconds() - begin
            await om.cancel_all()
    return times, cpu


async def pks(server: Server, count: int, executions: bool = False) -> tuple[list[float], float]:
    """The same orders through PKS's ``SpotWSClient`` (private connection only).

    With ``executions`` its socket is also subscribed to ``executions``, as ours is, so it
    reads the same three frames per order (its callback only looks at their ``req_id``).
    """
    from kraken.spot import SpotWSClient

    server.new_key()
    replies: dict[int, asyncio.Future[dict[str, Any]]] = {}

    async def on_message(message: dict[str, Any]) -> None:
        future = replies.pop(message.get("req_id", -1), None) if isinstance(message, dict) else None
        if future is not None and not future.done():
            future.set_result(message)

    base = server.ws_auth_url.removesuffix("/v2")  # PKS appends /v2 itself
    client: Any = SpotWSClient(key=server.key, secret=server.secret, callback=on_message,
                               no_public=True, rest_url=server.url, auth_ws_url=base)  # fmt: skip
    await client.start()
    if executions:
        await client.subscribe(params={"channel": "executions", "snap_orders": True})
    loop = asyncio.get_running_loop()
    req_ids = iter(range(1, 10**9))

    async def request(method: str, params: dict[str, Any]) -> dict[str, Any]:
        req_id = next(req_ids)
        replies[req_id] = future = loop.create_future()
        await client.send_message({"method": method, "params": params, "req_id": req_id})
        reply: dict[str, Any] = await future
        return reply

    times: list[float] = []
    cpu = 0.0
    try:
        for start in range(0, count, BATCH):
            begin = cpu_seconds()
            for _ in range(min(BATCH, count - start)):
                # The same order as ours, client order id included (ours always sends one: a
                # lost reply is resolved by it); PKS sends numbers as floats.
                params = {"order_type": "limit", "side": "buy", "symbol": SYMBOL,
                          "cl_ord_id": str(uuid.uuid4()), "order_qty": float(QTY),
                          "limit_price": float(PRICE)}  # fmt: skip
                sent = time.perf_counter()
                reply = await request("add_order", params)
                times.append(time.perf_counter() - sent)
                assert reply.get("success"), reply
            await asyncio.sleep(0.01)  # the same settling time as ours
            cpu += cpu_seconds() - begin
            await request("cancel_all", {})
    finally:
        await _close_pks(client)
    return times, cpu


async def _close_pks(client: Any) -> None:
    # PKS's close waits out its 10 s recv timeout on an idle socket; drop the socket first.
    conn = client._priv_conn
    conn.keep_alive = False
    with contextlib.suppress(Exception):
        await conn.socket.close()
    try:
        await asyncio.wait_for(client.close(), 2)
    except TimeoutError:
        conn.task.cancel()


def bench_orders(rounds: int = 5, count: int = 200) -> None:
    """Print p50/p99 round trips and CPU per order for both clients, and the ratios."""
    import logging

    logging.getLogger("kraken").setLevel(logging.CRITICAL)
    server = start_server()
    results: dict[str, list[tuple[list[float], float]]] = {"ours": [], "PKS": [], "PKS+exec": []}

    async def pks_exec(server: Server, count: int) -> tuple[list[float], float]:
        return await pks(server, count, executions=True)

    runs = {"ours": ours, "PKS": pks, "PKS+exec": pks_exec}
    try:
        for round_no in range(rounds):
            order = list(runs) if round_no % 2 == 0 else list(runs)[::-1]
            for name in order:
                results[name].append(asyncio.run(runs[name](server, count)))
    finally:
        assert server.process.stdin is not None
        server.process.stdin.close()
        server.process.wait(timeout=10)
    print(f"WS add_order round trips: {count} orders x {rounds} alternated runs ({load_line()})")
    p50: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for name, runs_ in results.items():
        p50[name] = statistics.median(statistics.median(t) for t, _ in runs_) * 1e3
        p99 = statistics.median(_pct(t, 0.99) for t, _ in runs_) * 1e3
        cpu[name] = statistics.median(c / len(t) for t, c in runs_) * 1e6
        print(f"  {name:8} p50 {p50[name]:6.3f} ms  p99 {p99:6.3f} ms  "
              f"CPU {cpu[name]:6.0f} us/order")  # fmt: skip
    for peer in ("PKS", "PKS+exec"):
        print(f"  ours vs {peer}: p50 {p50['ours'] / p50[peer]:.2f}x theirs, "
              f"CPU per order {cpu['ours'] / cpu[peer]:.2f}x theirs")  # fmt: skip


if __name__ == "__main__":
    bench_orders()
