"""A runtime on SimEngine with a manual clock, for the working-order tests.

``make_rig`` builds the real runtime loop (``TradingRuntime.step``: quotes, candles, sizing,
risk, order manager, SQLite) with passive limit orders (``limit_offset_bps=-20``): a buy rests
20 bps under the market until the working-order policy moves or cancels it. ``Recording``
logs every order call so a test can say what came first; ``CancelOnly`` has no amend.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from src.core.clock import ManualClock
from src.core.execution import Order, OrderAck, OrderStatus, OrderType, Side
from src.core.instruments import Instrument
from src.core.kill_switch import KillSwitch
from src.core.market_data import Candle
from src.core.order_amend import AmendAck
from src.core.order_state import ManagedOrder
from src.core.order_store import OrderStore
from src.core.risk import RiskLimits, RiskManager
from src.core.runtime import RuntimeConfig, TradingRuntime
from src.core.sizing import SizingConfig, Target
from src.core.working_orders import WorkingOrderConfig
from src.venues.sim_engine import SimEngine
from tests.support.runtime import START, ListCandles

SYMBOL = "BTC/USD"
PRICE = Decimal(40_000)
QTY = Decimal("0.005")  # 200 USD at 40,000
S = OrderStatus

BTC = Instrument(
    symbol=SYMBOL,
    base="BTC",
    quote="USD",
    price_tick=Decimal("0.1"),
    lot_step=Decimal("0.00000001"),
    min_quantity=Decimal("0.0001"),
    min_cost=Decimal("0.5"),
)


class Recording(SimEngine):
    """SimEngine that logs every order call, in order, so tests can check what came first."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[tuple[str, str]] = []

    async def submit_orders(self, orders: Sequence[Order]) -> list[OrderAck]:
        self.calls += [("submit", f"{o.side.value} {o.client_order_id}") for o in orders]
        return await super().submit_orders(orders)

    async def cancel_order(self, order_id: str) -> Any:
        self.calls.append(("cancel", order_id))
        return await super().cancel_order(order_id)

    async def amend_working_order(self, order_id: str, **kwargs: Any) -> AmendAck:
        self.calls.append(("amend", order_id))
        return await super().amend_working_order(order_id, **kwargs)

    def open_orders(self) -> list[Any]:
        return [o for o in self.orders.values() if not o.status.is_final]


class CancelOnly(Recording):
    """A venue without amends: the runtime must cancel and replace."""

    amend_working_order = None  # type: ignore[assignment]


class Scripted:
    """A strategy whose next target a test sets (None: no opinion)."""

    symbols = (SYMBOL,)
    interval_minutes = 1
    warmup_candles = 1

    def __init__(self) -> None:
        self.target: Decimal | None = None

    def on_candle(self, candle: Candle) -> list[Target]:
        return [] if self.target is None else [Target(candle.symbol, self.target)]


@dataclass
class Rig:
    engine: Recording
    clock: ManualClock
    runtime: TradingRuntime
    strategy: Scripted
    candles: ListCandles
    db: Path
    sent: list[ManagedOrder] = field(default_factory=list)

    async def candle(self, target: Decimal | None = None, price: Decimal | None = None) -> None:
        """Move the market (if asked), close a candle there with ``target``, run one step."""
        if price is not None:
            self.engine.set_price(SYMBOL, price)
        at, close = START + timedelta(minutes=len(self.candles.candles)), self.engine.prices[SYMBOL]
        bar = {"open": close, "high": close, "low": close, "close": close, "volume": Decimal(1)}
        self.candles.candles.append(Candle(symbol=SYMBOL, interval_minutes=1, timestamp=at, **bar))
        self.candles.released = len(self.candles.candles)
        self.strategy.target = target
        await self.step()

    async def after(self, seconds: float, price: Decimal | None = None) -> None:
        """Let ``seconds`` pass, move the market (if asked) and run one step (no candle)."""
        self.clock.advance(seconds)
        if price is not None:
            self.engine.set_price(SYMBOL, price)
        await self.step()

    async def step(self) -> None:
        before = self.runtime.stats.orders_sent
        await self.runtime.step()
        assert self.runtime.stats.orders_sent >= before

    def order(self, cloid: str) -> ManagedOrder:
        order = self.runtime.store.get_order(cloid)
        assert order is not None
        return order

    def only_live(self) -> ManagedOrder:
        live = list(self.runtime.oms.live.values())
        assert len(live) == 1, live
        return live[0]

    def reasons(self, cloid: str) -> list[str]:
        with sqlite3.connect(self.db) as db:
            rows = db.execute(
                "SELECT reason FROM order_events WHERE client_order_id = ? ORDER BY id", (cloid,)
            ).fetchall()
        return [r[0] or "" for r in rows]

    def pending(self) -> dict[str, Decimal]:
        return self.runtime.oms.pending_quantities()


async def make_rig(
    tmp_path: Path,
    working: WorkingOrderConfig,
    *,
    engine_type: type[Recording] = Recording,
    stream_events: bool = True,
) -> Rig:
    clock = ManualClock(start=1000.0, wall_start=START)
    engine = engine_type(
        {SYMBOL: BTC}, {"USD": Decimal(10_000), "BTC": Decimal("0.5")}, clock=clock
    )
    engine.set_price(SYMBOL, PRICE)
    strategy = Scripted()
    candles = ListCandles([])
    db = tmp_path / "rt.sqlite"
    runtime = TradingRuntime(
        engine,
        strategy,
        store=OrderStore(db),
        risk=RiskManager(RiskLimits(kill_file=None), clock, KillSwitch()),
        clock=clock,
        candles=candles,
        quotes=engine,
        config=RuntimeConfig(
            sizing=SizingConfig(capital_per_pair=Decimal(200), limit_offset_bps=Decimal(-20)),
            stream_events=stream_events,
            working_orders=working,
        ),
        status_sink=lambda line: None,
    )
    await runtime.start()
    return Rig(engine, clock, runtime, strategy, candles, db)


async def resting_buy(rig: Rig) -> ManagedOrder:
    """Target 1 at 40,000: a passive buy of 0.005 at 39,920.0 that rests."""
    await rig.candle(Decimal(1))
    order = rig.only_live()
    assert (order.side, order.order_type, order.status) == (Side.BUY, OrderType.LIMIT, S.OPEN)
    assert (order.quantity, order.limit_price) == (QTY, Decimal("39920.0"))
    return order


__all__ = [
    "PRICE", "QTY", "SYMBOL", "CancelOnly", "Recording", "Rig", "Scripted", "make_rig",
    "resting_buy",
]  # fmt: skip
