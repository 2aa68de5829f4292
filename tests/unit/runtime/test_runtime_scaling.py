"""Per-candle work stays flat as history grows: fills fetched and SQL run per step, not timing."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

from src.core.clock import ManualClock
from src.core.execution import Fill, OrderStatus, OrderType, Side
from src.core.kill_switch import KillSwitch
from src.core.market_data import Candle
from src.core.order_store import OrderStore
from src.core.risk import RiskLimits, RiskManager
from src.core.runtime import RuntimeConfig, TradingRuntime
from src.core.sizing import OrderIntent, SizingConfig, Target
from src.venues.sim_engine import SimEngine
from tests.support.runtime import ListCandles, make_candles

D = Decimal
STEPS = 360


class Flip:
    """Fully invested, then flat, then invested...: one market order on every candle."""

    symbols = ("BTC/USD",)
    interval_minutes = 1
    warmup_candles = 1

    def __init__(self) -> None:
        self.n = 0

    def on_candle(self, candle: Candle) -> list[Target]:
        self.n += 1
        return [Target(candle.symbol, D(self.n % 2))]


class CountingSim(SimEngine):
    """The in-memory venue, recording how many fills each ``get_fills`` call hands back.

    Fills whose id is in ``unpublished`` are left out, as a venue lagging behind would.
    """

    fills_returned: list[int]
    unpublished: set[str]

    async def get_fills(self, since: datetime | None = None) -> list[Fill]:
        fills = [f for f in await super().get_fills(since) if f.fill_id not in self.unpublished]
        self.fills_returned.append(len(fills))
        return fills


def _runtime(
    engine: SimEngine, clock: ManualClock, feed: ListCandles, path: Path
) -> TradingRuntime:
    limits = RiskLimits(
        kill_file=None,
        max_orders_per_minute=10_000,
        daily_loss_limit=D(10**9),
        max_drawdown_pct=D(100),
    )
    return TradingRuntime(
        engine,
        Flip(),
        store=OrderStore(path),
        risk=RiskManager(limits, clock, KillSwitch()),
        clock=clock,
        candles=feed,
        quotes=engine,
        # Everything on one-second steps: the whole run lies inside any minutes-long window.
        config=RuntimeConfig(
            sizing=SizingConfig(capital_per_pair=D(100)),
            history_candles=1,
            reconcile_seconds=10,
            status_seconds=10,
        ),
        status_sink=lambda line: None,
    )


async def test_fills_fetched_and_sql_per_candle_do_not_grow_with_history(
    btc: object, eth: object, clock: ManualClock, tmp_path: Path
) -> None:
    engine = CountingSim(
        {"BTC/USD": btc, "ETH/USD": eth},  # type: ignore[dict-item]
        {"USD": D(10**6), "BTC": D(10), "ETH": D(5)},
        clock=clock,
    )
    engine.fills_returned, engine.unpublished = [], set()
    engine.set_price("BTC/USD", D(40_000))
    feed = ListCandles(make_candles("BTC/USD", [40_000] * (STEPS + 1)), released=1)
    runtime = _runtime(engine, clock, feed, tmp_path / "rt.sqlite")
    statements: list[str] = []
    runtime.store.set_trace(statements.append)
    await runtime.start()
    # An old resting order that never fills: it must not pin every fetch to its birth.
    resting = await runtime.oms.submit(
        OrderIntent("BTC/USD", Side.BUY, D("0.001"), D(40_000),
                    order_type=OrderType.LIMIT, limit_price=D(20_000))
    )  # fmt: skip
    assert resting.status is OrderStatus.OPEN

    fills_per_step, sql_per_step = [], []
    for _ in range(STEPS):
        feed.released += 1
        engine.fills_returned.clear()
        before = len(statements)
        await runtime.step()
        clock.advance(1)
        fills_per_step.append(sum(engine.fills_returned))
        sql_per_step.append(len(statements) - before)

    # One order per candle but the first: its target is flat and nothing is held (the
    # resting buy is not, so no sell is sent against it), none refused.
    assert runtime.stats.orders_sent == STEPS - 1
    early, late = slice(30, 90), slice(STEPS - 60, STEPS)
    # Each fetch re-reads at most a bounded overlap (plus the new fill), never the history.
    assert max(fills_per_step[late]) <= max(fills_per_step[early]) <= 25
    assert max(sql_per_step[late]) <= max(sql_per_step[early])
    # ... and nothing was lost or applied twice on the way.
    ours = runtime.store.fills()
    assert sorted(f.fill_id for f in ours) == sorted(f.fill_id for f in engine.fills)
    net = sum((f.quantity * f.side.sign for f in engine.fills), D(0))
    assert runtime.portfolio.position("BTC/USD").quantity == net
    held = D(0)
    for fill in engine.fills:  # spot never went short on the way
        held += fill.quantity * fill.side.sign
        assert held >= 0


async def test_a_fill_published_late_is_found_by_reconciliation(
    btc: object, eth: object, clock: ManualClock, tmp_path: Path
) -> None:
    """A fill older than the newest one seen, missing from the fetch: the order's venue report
    says it is owed, so reconciliation reaches back to that order and applies it once."""
    engine = CountingSim(
        {"BTC/USD": btc, "ETH/USD": eth},  # type: ignore[dict-item]
        {"USD": D(10**6), "BTC": D(10), "ETH": D(5)},
        clock=clock,
    )
    engine.fills_returned, engine.unpublished = [], set()
    engine.set_price("BTC/USD", D(40_000))
    feed = ListCandles(make_candles("BTC/USD", [40_000] * 3), released=1)
    runtime = _runtime(engine, clock, feed, tmp_path / "rt.sqlite")
    await runtime.start()
    oms = runtime.oms
    late = await oms.submit(OrderIntent("BTC/USD", Side.BUY, D("0.001"), D(40_000)))
    engine.unpublished.add(engine.fills[-1].fill_id)  # the venue lags behind on this one
    clock.advance(60)
    await oms.submit(OrderIntent("BTC/USD", Side.BUY, D("0.002"), D(40_000)))
    assert await oms.sync_fills() == (1, 0)  # the newer fill moves the watermark past `late`
    engine.unpublished.clear()  # now published, older than everything seen
    assert await oms.sync_fills() == (0, 0)  # the routine window starts after it
    report = await oms.reconcile()
    assert report.new_fills == 1
    stored = runtime.store.get_order(late.client_order_id)
    assert stored is not None and stored.filled_quantity == D("0.001")
    assert oms.pending_quantities() == {}
    assert runtime.portfolio.position("BTC/USD").quantity == D("0.003")
    assert (await oms.reconcile()).new_fills == 0


async def test_restart_reads_only_orders_that_can_still_change(
    btc: object, eth: object, clock: ManualClock, tmp_path: Path
) -> None:
    engine = CountingSim(
        {"BTC/USD": btc, "ETH/USD": eth},  # type: ignore[dict-item]
        {"USD": D(10**6), "BTC": D(10), "ETH": D(5)},
        clock=clock,
    )
    engine.fills_returned, engine.unpublished = [], set()
    engine.set_price("BTC/USD", D(40_000))
    path = tmp_path / "rt.sqlite"
    first = _runtime(engine, clock, ListCandles([]), path)
    oms = first.oms
    for _ in range(5):  # settled: filled and their fills applied
        await oms.submit(OrderIntent("BTC/USD", Side.BUY, D("0.001"), D(40_000)))
    await oms.sync_fills()
    resting = await oms.submit(
        OrderIntent("BTC/USD", Side.BUY, D("0.001"), D(40_000),
                    order_type=OrderType.LIMIT, limit_price=D(20_000))
    )  # fmt: skip
    unfilled = await oms.submit(OrderIntent("BTC/USD", Side.SELL, D("0.002"), D(40_000)))
    newest = oms.fills_seen_until
    first.store.close()

    second = _runtime(engine, clock, ListCandles([]), path)
    assert set(second.oms.active) == {resting.client_order_id, unfilled.client_order_id}
    assert second.oms.fills_seen_until == newest  # the window resumes where it stopped
    assert await second.oms.sync_fills() == (1, 0)  # the unapplied fill, once
    assert second.portfolio.position("BTC/USD").quantity == D("0.003")
