"""Candle close to order on the wire: the runtime's latency (p50, p99), goal under 5 ms.

Two venues, same candles, same run:

* ``sim``: the in-memory ``SimEngine``; "on the wire" = the moment ``submit_orders`` is entered.
  This is the runtime's own cost: strategy, sizing, risk checks, two SQLite WAL writes.
* ``paper``: the ``KrakenAdapter`` over loopback HTTP to the local paper exchange; "on the wire"
  = httpx's request hook for ``AddOrder`` (the request is built, signed and about to be written).

The peer is a bare ``KrakenAdapter.submit_orders`` call on the same exchange (no strategy, no
risk, no order store): the ratio runtime / bare is the price of the safety machinery.

Each venue also reports its loop rate (candle + fill sync, as the progress bar shows it) over
the first and the last tenth of the run: a bot that runs for weeks must not slow down as its
order and fill history grows, so the two should match.

    python benchmarks/bench_runtime_latency.py [--orders 300]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from src.brokers.kraken.gate import NullGate
from tqdm import tqdm

from src.brokers.kraken_adapter import KrakenAdapter
from src.core.clock import SystemClock
from src.core.execution import ExecutionEngine, Order, Side
from src.core.kill_switch import KillSwitch
from src.core.market_data import Candle, Quote
from src.core.order_store import OrderStore
from src.core.risk import RiskLimits, RiskManager
from src.core.runtime import RuntimeConfig, TradingRuntime
from src.core.sim_engine import SimEngine
from src.core.sizing import SizingConfig, Target
from src.utils.logging import configure_logging
from src.venues.kraken_paper import PaperExchange

SYMBOL = "BTC/USD"


class Flip:
    """Strategy alternating fully invested / flat: exactly one order per candle."""

    symbols = (SYMBOL,)
    interval_minutes = 60
    warmup_candles = 1

    def __init__(self) -> None:
        self.n = 0

    def on_candle(self, candle: Candle) -> list[Target]:
        self.n += 1
        return [Target(candle.symbol, Decimal(self.n % 2))]


class NoCandles:
    async def fetch_candles(self, *a: Any, **k: Any) -> list[Candle]:
        return []


class FixedQuotes:
    def __init__(self, price: Decimal) -> None:
        self.price = price

    async def get_quote(self, symbol: str) -> Quote:
        return Quote(symbol=symbol, bid=self.price, ask=self.price, timestamp=datetime.now(UTC))


def candle(i: int, price: Decimal) -> Candle:
    t = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=i)
    return Candle(symbol=SYMBOL, interval_minutes=60, timestamp=t, open=price, high=price,
                  low=price, close=price, volume=Decimal(1))  # fmt: skip


def make_runtime(engine: ExecutionEngine, db: Path, price: Decimal) -> TradingRuntime:
    limits = RiskLimits(max_orders_per_minute=1_000_000, kill_file=None)
    clock = SystemClock()
    return TradingRuntime(
        engine, Flip(), store=OrderStore(db), risk=RiskManager(limits, clock, KillSwitch()),
        clock=clock, candles=NoCandles(), quotes=FixedQuotes(price),
        config=RuntimeConfig(sizing=SizingConfig(capital_per_pair=Decimal(100))),
        status_sink=lambda line: None,
    )  # fmt: skip


#: Loop rate (iterations per second) over the first and last tenth of each run, by label.
RATES: dict[str, tuple[float, float]] = {}


def record_rates(label: str, ends: list[float]) -> None:
    """Keep the iteration rate of the first and the last tenth of a run."""
    k = max(2, len(ends) // 10)
    RATES[label] = ((k - 1) / (ends[k - 1] - ends[0]), (k - 1) / (ends[-1] - ends[-k]))


async def measure(
    runtime: TradingRuntime, wire: list[float], n: int, price: Decimal, label: str
) -> list[float]:
    await runtime.start()
    await runtime.poll_market()  # fresh quote, so the stale-data limit passes
    out, ends = [], []
    for i in tqdm(range(n), desc=label, leave=False):
        before = len(wire)
        t0 = time.perf_counter()
        await runtime.on_candle(candle(i, price))
        if len(wire) > before:
            out.append((wire[before] - t0) * 1000)
        await runtime.oms.sync_fills()  # as the loop does after sending (not timed)
        if i % 20 == 0:
            await runtime.poll_market()
        ends.append(time.perf_counter())
    record_rates(label, ends)
    return out


async def bench_sim(n: int, tmp: Path) -> list[float]:
    from src.core.instruments import Instrument

    inst = Instrument(symbol=SYMBOL, base="BTC", quote="USD", price_tick=Decimal("0.1"),
                      lot_step=Decimal("1e-8"), min_quantity=Decimal("0.0001"))  # fmt: skip
    # The venue on the runtime's clock: fills stamped in another era would never be fetched.
    sim = SimEngine(
        {SYMBOL: inst}, {"USD": Decimal(10**6), "BTC": Decimal(10)}, clock=SystemClock()
    )
    sim.set_price(SYMBOL, Decimal(40000))
    wire: list[float] = []
    real = sim.submit_orders

    async def stamped(orders: Any) -> Any:
        wire.append(time.perf_counter())
        return await real(orders)

    sim.submit_orders = stamped  # type: ignore[method-assign]
    return await measure(
        make_runtime(sim, tmp / "sim.sqlite", Decimal(40000)), wire, n, Decimal(40000), "sim"
    )


def hooked_client(base_url: str, wire: list[float]) -> httpx.AsyncClient:
    async def hook(request: httpx.Request) -> None:
        if request.url.path.endswith("/AddOrder"):
            wire.append(time.perf_counter())

    return httpx.AsyncClient(base_url=base_url, event_hooks={"request": [hook]})


async def bench_paper(n: int, tmp: Path) -> tuple[list[float], list[float]]:
    async with PaperExchange(rate_limits=False, auto_tick=False,
                             initial_balances={"USD": 10**7, "BTC": 100}) as ex:  # fmt: skip
        wire: list[float] = []
        client = hooked_client(ex.rest_url, wire)
        async with KrakenAdapter(
            api_key=ex.api_key,
            api_secret=ex.api_secret,
            base_url=ex.rest_url,
            client=client,
            gate=NullGate(),  # latency of the runtime, not Kraken's TradesHistory budget
        ) as ad:
            price = await FixedQuotesFromAdapter(ad).mid()
            await ad.get_instrument(SYMBOL)
            runtime = make_runtime(ad, tmp / "paper.sqlite", price)
            ours = await measure(runtime, wire, n, price, "paper runtime")
            bare = await bare_adapter(ad, wire, n, price)
    return ours, bare


class FixedQuotesFromAdapter:
    def __init__(self, ad: KrakenAdapter) -> None:
        self.ad = ad

    async def mid(self) -> Decimal:
        row = next(iter((await self.ad.get_ticker("XBTUSD")).values()))
        return (Decimal(row["a"][0]) + Decimal(row["b"][0])) / 2


async def bare_adapter(ad: KrakenAdapter, wire: list[float], n: int, price: Decimal) -> list[float]:
    out, ends = [], []
    qty = (Decimal(100) / price).quantize(Decimal("1e-8"))
    for i in tqdm(range(n), desc="paper bare adapter", leave=False):
        before = len(wire)
        t0 = time.perf_counter()
        side = Side.BUY if i % 2 == 0 else Side.SELL
        await ad.submit_orders([Order(symbol=SYMBOL, side=side, quantity=qty)])
        out.append((wire[before] - t0) * 1000)
        ends.append(time.perf_counter())
    record_rates("paper bare adapter", ends)
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(name: str, values: list[float], peer: list[float] | None = None) -> None:
    p50, p99 = statistics.median(values), pct(values, 0.99)
    line = f"{name:<28} n={len(values):4d}  p50={p50:7.3f} ms  p99={p99:7.3f} ms"
    if peer:
        line += f"  ratio vs bare adapter p50={p50 / statistics.median(peer):5.2f}x"
    line += "  (goal p99 < 5 ms: " + ("met" if p99 < 5 else "NOT met") + ")"
    print(line)


async def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sim = await bench_sim(n, Path(tmp))
        ours, bare = await bench_paper(n, Path(tmp))
    print(f"candle close -> order on the wire, {n} orders each")
    report("runtime, SimEngine", sim)
    report("runtime, paper over HTTP", ours, bare)
    report("bare KrakenAdapter (peer)", bare)
    print("loop rate, first tenth -> last tenth of the run (flat = no slowdown with history)")
    for label, (first, last) in RATES.items():
        print(f"  {label:<26} {first:8.1f} it/s -> {last:8.1f} it/s  ({last / first:5.2f}x)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=300)
    configure_logging(level="WARNING", force=True)  # per-fill INFO lines would swamp the report
    asyncio.run(main(parser.parse_args().orders))
