"""The runtime's latencies: candle close -> order on the wire, execution -> portfolio updated.

Part 1, candle close to order on the wire (p50, p99), goal under 5 ms.

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

Part 2, execution -> portfolio updated (p50, p99): from the moment the paper exchange executes
one of our fills (the event it sends its WS v2 ``executions`` message from) to the moment the
runtime's order manager has applied it to the portfolio. Two runtimes on the same exchange, one
after the other in the same run: the *stream* path (``stream_fills`` consumed in the background,
orders over the private socket) and the *poll* path (``stream_events=False``: fills learnt by
``sync_fills`` after each order and by the periodic reconcile, orders over REST), each with

* market orders sent by the loop (candle -> order -> immediate fill), and
* resting limit orders filled later by a market trade, which only the stream or the next
  periodic reconcile (``--reconcile`` seconds) can see.

    python benchmarks/bench_runtime_latency.py [--orders 300] [--fills 100] [--resting 30]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import httpx
from tqdm import tqdm

from src.brokers.kraken import NullGate
from src.brokers.kraken_adapter import KrakenAdapter
from src.core.clock import SystemClock
from src.core.execution import ExecutionEngine, Fill, Order, OrderType, Side
from src.core.kill_switch import KillSwitch
from src.core.market_data import Candle, Quote
from src.core.order_store import OrderStore
from src.core.risk import RiskLimits, RiskManager
from src.core.runtime import RuntimeConfig, TradingRuntime
from src.core.sizing import OrderIntent, SizingConfig, Target
from src.utils.logging import configure_logging
from src.venues.kraken_paper import PaperExchange
from src.venues.sim_engine import SimEngine

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


class Candles:
    """Candles the benchmark releases itself (part 1 releases none: it calls on_candle)."""

    def __init__(self) -> None:
        self.candles: list[Candle] = []

    async def fetch_candles(self, symbol: str, minutes: int, since: Any = None) -> list[Candle]:
        return [c for c in self.candles if since is None or c.timestamp >= since]


class FixedQuotes:
    def __init__(self, price: Decimal) -> None:
        self.price = price

    async def get_quote(self, symbol: str) -> Quote:
        return Quote(symbol=symbol, bid=self.price, ask=self.price, timestamp=datetime.now(UTC))


def candle(i: int, price: Decimal) -> Candle:
    t = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=i)
    return Candle(symbol=SYMBOL, interval_minutes=60, timestamp=t, open=price, high=price,
                  low=price, close=price, volume=Decimal(1))  # fmt: skip


def make_runtime(
    engine: ExecutionEngine, db: Path, price: Decimal, config: RuntimeConfig | None = None
) -> TradingRuntime:
    # Round trips lose the spread and fees: no loss limit may stop a benchmark of 100s of them.
    limits = RiskLimits(max_orders_per_minute=1_000_000, kill_file=None,
                        daily_loss_limit=Decimal(0), max_drawdown_pct=Decimal(0))  # fmt: skip
    clock = SystemClock()
    return TradingRuntime(
        engine, Flip(), store=OrderStore(db), risk=RiskManager(limits, clock, KillSwitch()),
        clock=clock, candles=Candles(), quotes=FixedQuotes(price),
        config=config or RuntimeConfig(sizing=SizingConfig(capital_per_pair=Decimal(100))),
        status_sink=lambda line: None,
    )  # fmt: skip


#: Loop rate (iterations per second) over the first and last tenth of each run, by label.
RATES: dict[str, tuple[float, float]] = {}
#: How the last order of each fill path went out (websocket or rest).
TRANSPORT: dict[str, str] = {}


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
    await runtime.feed.stop()  # the sim runtime streams its fills; nothing else stops it here
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
            # Part 1 times the REST order path (the AddOrder hook): no streams, no socket.
            rest_only = RuntimeConfig(
                sizing=SizingConfig(capital_per_pair=Decimal(100)), stream_events=False
            )
            runtime = make_runtime(ad, tmp / "paper.sqlite", price, rest_only)
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


# ------------------------------------------------------------ execution -> portfolio updated
@runtime_checkable
class OwnTrade(Protocol):
    """The paper exchange's event for a fill of the account's own order."""

    trade_txid: str


class FillStamps:
    """When each of our fills executed at the exchange, and when a runtime's books applied it."""

    def __init__(self, exchange: PaperExchange, runtime: TradingRuntime) -> None:
        self.executed: dict[str, float] = {}
        self.applied: dict[str, float] = {}
        self.runtime = runtime
        self._changed = asyncio.Event()
        self.unsubscribe = exchange.bus.subscribe(self._on_event)
        apply = runtime.oms.apply_fill

        def stamped(fill: Fill) -> bool:
            new = apply(fill)
            if new:
                self.applied[fill.fill_id] = time.perf_counter()
                self._changed.set()
            return new

        runtime.oms.apply_fill = stamped  # type: ignore[method-assign]

    def _on_event(self, event: object) -> None:
        # The exchange's WS server turns this same event into the executions message.
        if isinstance(event, OwnTrade):
            self.executed.setdefault(event.trade_txid, time.perf_counter())

    async def settled(self) -> None:
        """Wait until every order of the runtime has all its fills applied."""
        async with asyncio.timeout(30):
            while self.runtime.oms.active:
                self._changed.clear()
                with contextlib.suppress(TimeoutError):  # an order can settle without a fill
                    await asyncio.wait_for(self._changed.wait(), 0.01)

    def take_ms(self) -> list[float]:
        """Latencies (ms) of the fills applied since the last call."""
        out = [(t - self.executed[k]) * 1000 for k, t in self.applied.items() if k in self.executed]
        self.applied.clear()
        return out


async def market_fills(runtime: TradingRuntime, stamps: FillStamps, n: int) -> list[float]:
    """The loop as it runs: a candle, the order it causes, its fill applied."""
    assert isinstance(runtime.candles, Candles)
    assert isinstance(runtime.quotes, FixedQuotes)
    for i in tqdm(range(n), desc="market orders", leave=False):
        runtime.candles.candles.append(candle(i, runtime.quotes.price))
        await runtime.step()
        await stamps.settled()
    return stamps.take_ms()


async def resting_fills(
    runtime: TradingRuntime, ex: PaperExchange, stamps: FillStamps, n: int, price: Decimal
) -> list[float]:
    """Limit buys below the market, each filled by a later market trade, the loop running.

    The trade comes at a random moment of the reconcile period (same seed on both paths), so
    that the poll path is not measured at one phase of its timer only.
    """
    loop = asyncio.create_task(runtime.run(start=False))
    qty, limit = Decimal("0.001"), price - 100
    phase = random.Random(12)
    try:
        for _ in tqdm(range(n), desc="resting orders", leave=False):
            intent = OrderIntent(SYMBOL, Side.BUY, qty, limit, order_type=OrderType.LIMIT,
                                 limit_price=limit)  # fmt: skip
            await runtime.oms.submit(intent)
            await asyncio.sleep(phase.uniform(0, runtime.config.reconcile_seconds))
            ex.drive("XBTUSD", limit, qty, "sell")  # the execution
            await stamps.settled()
            ex.drive("XBTUSD", price, qty, "buy")  # back to where the next order rests
    finally:
        runtime.stop()
        await loop
    return stamps.take_ms()


async def bench_fill_paths(
    n_market: int, n_resting: int, reconcile: float, tmp: Path
) -> dict[str, list[float]]:
    """Stream path then poll path on one exchange; both scenarios each."""
    out: dict[str, list[float]] = {}
    price = Decimal(30000)
    async with PaperExchange(market="synthetic", auto_tick=False, rate_limits=False,
                             initial_balances={"USD": 10**7, "BTC": 100}) as ex:  # fmt: skip
        ex.drive("XBTUSD", price)
        for path in ("stream", "poll"):
            config = RuntimeConfig(
                sizing=SizingConfig(capital_per_pair=Decimal(100)), poll_seconds=0.05,
                reconcile_seconds=reconcile, stream_events=path == "stream",
            )  # fmt: skip
            async with KrakenAdapter(
                api_key=ex.api_key, api_secret=ex.api_secret, base_url=ex.rest_url,
                ws_url=ex.ws_url, ws_auth_url=ex.ws_auth_url, gate=NullGate(),
            ) as ad:  # fmt: skip
                runtime = make_runtime(ad, tmp / f"fills_{path}.sqlite", price, config)
                stamps = FillStamps(ex, runtime)
                await runtime.start()
                await runtime.poll_market()  # a fresh quote for the stale-data limit
                if path == "stream":
                    async with asyncio.timeout(10):  # the private socket is up
                        while ad.order_manager is None:  # noqa: ASYNC110 - no event for it
                            await asyncio.sleep(0.01)
                out[f"market orders, {path}"] = await market_fills(runtime, stamps, n_market)
                out[f"resting orders, {path}"] = await resting_fills(
                    runtime, ex, stamps, n_resting, price
                )
                TRANSPORT[path] = ad.last_order_transport or "none"
                stamps.unsubscribe()
    return out


def report_fills(results: dict[str, list[float]], reconcile: float) -> None:
    print(f"execution -> portfolio updated (reconcile every {reconcile:g} s on the poll path)")
    for name, v in results.items():
        print(f"  {name:<24} n={len(v):4d}  p50={statistics.median(v):9.3f} ms  p99="
              f"{pct(v, 0.99):9.3f} ms  (orders via {TRANSPORT[name.split(', ')[1]]})")  # fmt: skip
    for kind in ("market orders", "resting orders"):
        ratio = statistics.median(results[f"{kind}, poll"]) / statistics.median(
            results[f"{kind}, stream"]
        )
        print(f"  {kind}: poll p50 / stream p50 = {ratio:.1f}x")


async def main(n: int, n_fills: int, n_resting: int, reconcile: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sim = await bench_sim(n, Path(tmp))
        ours, bare = await bench_paper(n, Path(tmp))
        fills = await bench_fill_paths(n_fills, n_resting, reconcile, Path(tmp))
    print(f"candle close -> order on the wire, {n} orders each")
    report("runtime, SimEngine", sim)
    report("runtime, paper over HTTP", ours, bare)
    report("bare KrakenAdapter (peer)", bare)
    print("loop rate, first tenth -> last tenth of the run (flat = no slowdown with history)")
    for label, (first, last) in RATES.items():
        print(f"  {label:<26} {first:8.1f} it/s -> {last:8.1f} it/s  ({last / first:5.2f}x)")
    report_fills(fills, reconcile)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--fills", type=int, default=100, help="market orders per fill path")
    parser.add_argument("--resting", type=int, default=30, help="resting orders per fill path")
    parser.add_argument("--reconcile", type=float, default=1.0, help="poll path's reconcile, s")
    args = parser.parse_args()
    configure_logging(level="WARNING", force=True)  # per-fill INFO lines would swamp the report
    asyncio.run(main(args.orders, args.fills, args.resting, args.reconcile))
