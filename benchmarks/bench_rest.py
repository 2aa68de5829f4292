"""Private REST: ours against python-kraken-sdk (PKS) and ccxt on a strict-nonce server.

Run from the repo root (``bash scripts/bootstrap.sh dev bench`` installs the peers):

    .venv/bin/python -m benchmarks.bench_rest            # sequential, then 50 and 300 callers
    .venv/bin/python -m benchmarks.bench_rest --rounds 3 --calls 300

The server is the paper exchange in its own process (``benchmarks/paper_rest_server.py``): it
checks every signature and Kraken's nonce rule (a nonce must exceed the key's last one), and
counts what it accepted and what it refused as an invalid nonce. Every client signs
``Balance`` with the same key, in turns (the order swapped each round), through its own async
client: ours ``KrakenRestClient.get_balance`` (no rate-limit gate: transport only), PKS
``SpotAsyncClient.request``, ccxt ``kraken.private_post_balance`` (with microsecond nonces: its
default milliseconds refuse back-to-back sequential calls).

* **sequential**: calls/s and client CPU per call (this process only; the server runs apart).
* **concurrent**: 50 and 300 callers at once; *successful* calls/s, and the invalid nonces the
  server refused (a client that retries one shows it here, not as a failed call).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.measure import Samples, cpu_seconds, load_line
from src.brokers.kraken.limits.gate import NullGate
from src.brokers.kraken.rest.client import KrakenRestClient
from src.brokers.kraken.settings import KrakenSettings

Call = Callable[[], Awaitable[Any]]
Close = Callable[[], Awaitable[Any]]


@dataclass
class Server:
    """The paper exchange process and how to reach it."""

    process: subprocess.Popen[str]
    url: str
    key: str = ""
    secret: str = ""
    ws_url: str = ""
    ws_auth_url: str = ""

    def ask(self, command: str) -> dict[str, Any]:
        """One command to the server process, its one-line JSON answer."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        answer: dict[str, Any] = json.loads(self.process.stdout.readline())
        return answer

    def counts(self) -> dict[str, int]:
        """What the server accepted and refused since the previous call."""
        return self.ask("counts")

    def new_key(self) -> None:
        """A fresh key for the next client run."""
        answer = self.ask("key")
        self.key, self.secret = answer["key"], answer["secret"]


def start_server() -> Server:
    """Start ``paper_rest_server`` and read its address and key."""
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.paper_rest_server"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    urls = json.loads(process.stdout.readline())
    return Server(process, urls["rest_url"], ws_url=urls["ws_url"], ws_auth_url=urls["ws_auth_url"])


def ours(server: Server) -> tuple[Call, Close]:
    """Our ``KrakenRestClient`` (its own pooled transport)."""
    # A key with a nonce window (KRAKEN_NONCE_WINDOW > 0): signed calls overlap. Without one
    # (the default) they are serialized to each reply's headers, at the sequential rate.
    client = KrakenRestClient(
        server.key, server.secret, base_url=server.url, gate=NullGate(),
        settings=KrakenSettings(nonce_window=10_000_000_000),
    )  # fmt: skip
    return client.get_balance, client.aclose


def pks(server: Server) -> tuple[Call, Close]:
    """python-kraken-sdk's ``SpotAsyncClient`` (aiohttp)."""
    from kraken.spot import SpotAsyncClient

    client: Any = SpotAsyncClient(server.key, server.secret, url=server.url)
    return lambda: client.request("POST", "/0/private/Balance"), client.close


def ccxt_client(server: Server) -> tuple[Call, Close]:
    """ccxt's async ``kraken`` (aiohttp), pointed at the paper exchange."""
    import ccxt.async_support as ccxt_async

    exchange: Any = ccxt_async.kraken(
        {"apiKey": server.key, "secret": server.secret, "enableRateLimit": False}
    )
    exchange.urls["api"] = {"public": server.url, "private": server.url}  # it adds /0/private
    # Its default nonce is in milliseconds: a second call within the same millisecond is
    # refused even one after the other. Microseconds, as a ccxt user calling this fast would.
    exchange.nonce = exchange.microseconds
    return exchange.private_post_balance, exchange.close


CLIENTS = {"ours": ours, "PKS": pks, "ccxt": ccxt_client}


@dataclass
class Result:
    """One run of one client."""

    wall: float
    cpu: float
    ok: int
    failed: int
    invalid_nonce: int  # as the server counted them


Factory = Callable[[Server], tuple[Call, Close]]


def run(server: Server, make: Factory, callers: int, calls: int) -> Result:
    """``calls`` calls spread over ``callers`` concurrent callers (1 = sequential)."""

    async def main() -> Result:
        server.new_key()
        call, close = make(server)
        try:
            for _ in range(10):  # connect and warm up, outside the measurement
                await call()
            server.counts()
            outcome = {"ok": 0, "failed": 0}

            async def caller(share: int) -> None:
                for _ in range(share):
                    try:
                        await call()
                        outcome["ok"] += 1
                    except Exception:  # each client's own error types; counted, not raised
                        outcome["failed"] += 1

            shares = [calls // callers + (i < calls % callers) for i in range(callers)]
            wall, cpu = time.perf_counter(), cpu_seconds()
            await asyncio.gather(*(caller(n) for n in shares))
            wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
            refused = server.counts()["invalid_nonce"]
            return Result(wall, cpu, outcome["ok"], outcome["failed"], refused)
        finally:
            await close()

    return asyncio.run(main())


def bench(server: Server, callers: int, calls: int, rounds: int) -> dict[str, list[Result]]:
    """Every client ``rounds`` times, in turns, the order reversed every other round."""
    results: dict[str, list[Result]] = {name: [] for name in CLIENTS}
    names = list(CLIENTS)
    for round_no in range(rounds):
        for name in names if round_no % 2 == 0 else names[::-1]:
            results[name].append(run(server, CLIENTS[name], callers, calls))
    return results


def report(title: str, results: dict[str, list[Result]], calls: int) -> None:
    """Medians per client and the ratios of ours to each peer."""
    rounds = len(results["ours"])
    print(f"{title}: {calls} Balance calls per run, median of {rounds} runs ({load_line()})")
    rate = {n: Samples(n, [r.ok / r.wall for r in rs]) for n, rs in results.items()}
    cpu = {n: Samples(n, [r.cpu / calls * 1e6 for r in rs]) for n, rs in results.items()}
    for name, runs in results.items():
        nonces = sum(r.invalid_nonce for r in runs)
        failed = sum(r.failed for r in runs)
        print(f"  {name:5} {rate[name].median:8,.0f} ok calls/s  "
              f"CPU {cpu[name].median:6.0f} us/call  failed {failed:5}  "
              f"invalid nonces (server) {nonces:5}  (ok/s runs {rate[name].spread()})")  # fmt: skip
    for peer in ("PKS", "ccxt"):
        print(f"  ours vs {peer}: {rate['ours'].median / rate[peer].median:.2f}x ok calls/s, "
              f"CPU per call {cpu['ours'].median / cpu[peer].median:.2f}x theirs")  # fmt: skip


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=600)
    parser.add_argument("--callers", type=int, nargs="*", default=[1, 50, 300])
    args = parser.parse_args()
    import logging

    logging.disable(logging.WARNING)  # ours logs each retried nonce; the counts say it all
    server = start_server()
    try:
        for callers in args.callers:
            results = bench(server, callers, args.calls, args.rounds)
            what = "sequential" if callers == 1 else f"{callers} concurrent callers"
            report(f"private REST, {what}", results, args.calls)
    finally:
        assert server.process.stdin is not None
        server.process.stdin.close()
        server.process.wait(timeout=10)


if __name__ == "__main__":
    main()
