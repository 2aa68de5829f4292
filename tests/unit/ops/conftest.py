"""A started runtime on SimEngine with the operator controls and the audit log on its database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from src.core.clock import ManualClock
from src.core.execution import OrderType, Side
from src.core.kill_switch import KillSwitch
from src.core.order_state import ManagedOrder
from src.core.order_store import OrderStore
from src.core.risk import RiskContext, RiskLimits, RiskManager
from src.core.runtime import RuntimeConfig, TradingRuntime
from src.core.sizing import OrderIntent, SizingConfig
from src.core.strategy import MovingAverageCross
from src.ops.audit import AuditLog
from src.ops.control import OperatorControls
from src.venues.sim_engine import SimEngine
from tests.support.runtime import ListCandles, btc, clock, engine, eth, make_candles

__all__ = ["btc", "clock", "engine", "eth"]
PRICE = Decimal(40_000)


@dataclass
class Rig:
    engine: SimEngine
    clock: ManualClock
    runtime: TradingRuntime
    audit: AuditLog
    controls: OperatorControls
    db: Path
    risk_file: Path

    async def buy(self, quantity: str = "0.005", limit: Decimal | None = None) -> ManagedOrder:
        """Send a buy through the OMS (a market order fills at once on SimEngine)."""
        intent = OrderIntent(
            "BTC/USD",
            Side.BUY,
            Decimal(quantity),
            PRICE,
            order_type=OrderType.MARKET if limit is None else OrderType.LIMIT,
            limit_price=limit,
        )
        order = await self.runtime.oms.submit(intent)
        await self.runtime.poll_fills()
        return order

    def context(self) -> RiskContext:
        """The account as risk sees it: the bot's positions, a fresh mid at PRICE."""
        positions = {s: p.quantity for s, p in self.runtime.portfolio.positions.items()}
        return RiskContext(positions, {"BTC/USD": PRICE}, PRICE, 1.0, Decimal(10_000))

    async def venue_open_orders(self) -> list[str]:
        return [o.order_id for o in await self.engine.get_orders("open")]


@pytest.fixture
async def rig(engine: SimEngine, clock: ManualClock, tmp_path: Path) -> AsyncIterator[Rig]:
    db = tmp_path / "rt.sqlite"
    candles = ListCandles(make_candles("BTC/USD", [40_000] * 6), released=6)
    runtime = TradingRuntime(
        engine,
        MovingAverageCross(["BTC/USD"], fast=2, slow=4),
        store=OrderStore(db),
        risk=RiskManager(RiskLimits(kill_file=None), clock, KillSwitch()),
        clock=clock,
        candles=candles,
        quotes=engine,
        config=RuntimeConfig(sizing=SizingConfig(capital_per_pair=Decimal(200))),
        status_sink=lambda line: None,
    )
    await runtime.start()
    await runtime.poll_market()  # a quote: the market data is fresh
    audit = AuditLog(db)
    risk_file = tmp_path / "risk.toml"
    controls = OperatorControls(runtime, audit, risk_config=risk_file)
    try:
        yield Rig(engine, clock, runtime, audit, controls, db, risk_file)
    finally:
        await runtime.feed.stop()
        audit.close()
        runtime.store.close()
