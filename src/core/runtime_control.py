"""The runtime's controls: the kill switch (cancel, flatten), and the status line.

Functions over a ``TradingRuntime`` (its methods of the same names call them), kept apart so
the loop in ``src.core.runtime`` stays one job.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

import structlog

from src.core.clock import Clock
from src.core.errors import BrokerError
from src.core.execution import ExecutionEngine, Side
from src.core.futures_account import FuturesBook
from src.core.futures_gate import FuturesRiskGate
from src.core.instruments import Instrument
from src.core.order_manager import OrderManager
from src.core.order_state import ManagedOrder
from src.core.order_store import OrderStore
from src.core.portfolio import Portfolio
from src.core.reconcile_report import ReconcileReport
from src.core.risk import RiskManager
from src.core.sizing import OrderIntent
from src.core.stream_feed import StreamFeed

__all__ = ["check_kill", "flatten", "kill", "status_line"]

log = structlog.get_logger("src.core.runtime")


class _Stats(Protocol):
    orders_sent: int
    balance_differences: int
    polled_fills: int


class TradingRuntime(Protocol):
    """What these controls use of ``src.core.runtime.TradingRuntime`` (no import cycle)."""

    engine: ExecutionEngine
    risk: RiskManager
    portfolio: Portfolio
    clock: Clock
    store: OrderStore
    oms: OrderManager
    feed: StreamFeed
    instruments: dict[str, Instrument]
    prices: dict[str, Decimal]
    futures: FuturesBook | None
    futures_gate: FuturesRiskGate | None
    _killed_handled: bool

    @property
    def stats(self) -> _Stats: ...

    async def kill(self) -> None: ...

    async def flatten(self) -> list[ManagedOrder]: ...

    async def reconcile(self) -> ReconcileReport: ...


async def check_kill(rt: TradingRuntime) -> None:
    """Feed the equity to the loss limits, save their state, act once on a tripped switch."""
    rt.risk.on_equity(rt.portfolio.equity, rt.clock.now())
    day = rt.risk.trading_day
    rt.store.put(
        "risk_state",
        {
            "day": day.isoformat() if day else None,
            "day_start": str(rt.risk.day_start_equity),
            "peak": str(rt.risk.peak_equity),
        },
    )
    if rt.risk.kill_switch.poll() and not rt._killed_handled:
        rt._killed_handled = True
        await rt.kill()


async def kill(rt: TradingRuntime) -> None:
    """Cancel all open orders and, if configured, flatten the bot's positions."""
    log.error("runtime.kill", reason=rt.risk.kill_switch.reason)
    try:
        await rt.engine.cancel_all()
    except BrokerError as exc:
        log.error("runtime.cancel_all_failed", error=str(exc))
    if rt.risk.limits.flatten_on_kill:
        await rt.flatten()
    await rt.reconcile()


async def flatten(rt: TradingRuntime) -> list[ManagedOrder]:
    """Close the bot's positions at market (bypasses the limits except rounding).

    Spot: every long is sold. Futures: longs sold and shorts bought back, reduce-only, so a
    flatten can never open a position the other way.
    """
    sent = []
    for symbol, position in rt.portfolio.positions.items():
        instrument = rt.instruments.get(symbol)
        price = rt.prices.get(symbol)
        futures = symbol in rt.portfolio.contracts
        if instrument is None or price is None or position.quantity == 0:
            continue
        if position.quantity < 0 and not futures:
            continue
        quantity = instrument.round_quantity(abs(position.quantity))
        if quantity >= instrument.min_quantity and quantity > 0:
            side = Side.SELL if position.quantity > 0 else Side.BUY
            intent = OrderIntent(
                symbol, side, quantity, price, reason="flatten", reduce_only=futures
            )
            sent.append(await rt.oms.submit(intent))
    return sent


def status_line(rt: TradingRuntime) -> str:
    """One line: equity, PnL, positions, open orders, fills, refusals, kill switch.

    With futures it ends with funding, each contract's mark, liquidation price and
    unrealised PnL as the venue reports them, the margin equity and position differences.
    """
    p = rt.portfolio
    positions = " ".join(
        f"{s}={q.quantity.normalize():f}" for s, q in sorted(p.positions.items()) if q.quantity
    )
    refusals = sum(rt.risk.refusals.values())
    kill_state = rt.risk.kill_switch.reason or "off"
    line = (
        f"equity={p.equity:.2f} pnl={p.net_pnl:.2f} (realized {p.realized_pnl:.2f}, "
        f"fees {p.fees:.2f}) positions[{positions or 'flat'}] open={len(rt.oms.live)} "
        f"fills={p.trades} (streamed {rt.feed.fills.applied}, polled "
        f"{rt.stats.polled_fills}) stream={rt.feed.status()} "
        f"sent={rt.stats.orders_sent} refusals={refusals} "
        f"balance_diffs={rt.stats.balance_differences} kill={kill_state}"
    )
    if rt.futures is not None:
        gate = rt.futures_gate
        refused = len(gate.refusals) if gate is not None else 0
        line += f" futures_refusals={refused} {rt.futures.describe()}"
    return line
