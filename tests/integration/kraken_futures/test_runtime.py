"""TradingRuntime on a perpetual: the futures adapter on the paper venue over loopback.

The runtime's books (its database and portfolio) are checked against the venue's own
records (its account log and positions), not against what the adapter told the runtime.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from src.brokers.kraken_futures import KrakenFuturesAdapter
from src.core.execution import OrderStatus, Side
from src.core.futures_risk import FuturesRiskLimits
from src.core.runtime import TradingRuntime
from src.venues.kraken_futures_paper import FuturesPaperExchange
from tests.support.futures_runtime import futures_runtime
from tests.support.runtime import ListCandles

D = Decimal
PF = "PF_XBTUSD"
ZERO = D(0)


def runtime_for(
    adapter: KrakenFuturesAdapter,
    weights: Sequence[str],
    closes: Sequence[int],
    path: Path,
    futures_limits: FuturesRiskLimits | None = None,
) -> tuple[TradingRuntime, ListCandles]:
    return futures_runtime(adapter, PF, weights, closes, path,
                           futures_limits=futures_limits or FuturesRiskLimits())  # fmt: skip


async def test_runtime_goes_long_then_short_and_its_books_match_the_venue(
    adapter: KrakenFuturesAdapter, venue: FuturesPaperExchange, tmp_path: Path
) -> None:
    runtime, candles = runtime_for(adapter, ["1", "-1"], [60000, 60000, 61000], tmp_path / "f.db")
    await runtime.start()
    assert runtime.futures is not None and runtime.futures_gate is not None
    candles.released = 2
    await runtime.step()  # target 1: long 1,000 USD at 60,000 -> 0.0166
    await runtime.reconcile()
    assert runtime.portfolio.position(PF).quantity == D("0.0166")

    lifecycle = venue.lifecycle
    at = lifecycle.next_funding
    assert at is not None
    lifecycle.current[PF] = D("0.0001")
    lifecycle.fund(at)  # the long pays 0.0166 * 0.0001 * 60,000
    venue.set_index("XBT", 61000)
    candles.released = 3
    await runtime.step()  # target -1: short 1,000 USD at 61,000 -> sell 0.0166 + 0.0163
    lifecycle.current[PF] = D("0.0002")
    lifecycle.fund(at + timedelta(hours=1))  # the short receives 0.0163 * 0.0002 * 61,000
    report = await runtime.reconcile()

    account = venue.engine.accounts[venue.account_id]
    [position] = [p for p in await adapter.get_futures_positions() if p.symbol == PF]
    mine = runtime.portfolio.position(PF)
    assert mine.quantity == position.quantity == D("-0.0163")
    assert position.side is Side.SELL and mine.average_price == position.average_price
    # The venue's account log: every fee, realised PnL and funding payment it booked.
    log = [e for e in account.log if e.contract == PF]
    fees = sum((e.fee or ZERO for e in log), ZERO)
    realized = sum((e.realized_pnl or ZERO for e in log), ZERO)
    funding = [e.new_balance - e.old_balance for e in log if e.info == "funding rate change"]
    assert len(funding) == 2 and funding[0] == D("-0.0996") and funding[1] > 0
    assert runtime.portfolio.fees == fees > 0
    assert runtime.portfolio.realized_pnl == realized > 0  # the long gained 1,000 a BTC
    assert runtime.portfolio.funding_pnl == sum(funding, ZERO)
    assert runtime.store.get("futures_state")["applied"] == 2
    # The USD balance: what the fills and funding explain is what the venue holds.
    assert runtime.portfolio.expected_with_funding()["USD"] == account.flex["USD"]
    assert report.balance_differences == []
    assert report.futures is not None and report.futures.position_differences == []
    assert runtime.portfolio.unrealized_pnl == position.unrealized_pnl
    assert position.liquidation_price is not None and position.liquidation_price > D(61000)
    assert report.futures.margin[PF].margin_equity > 0
    line = runtime.status_line()
    assert "positions[PF_XBTUSD=-0.0163]" in line and "funding=" in line and " liq " in line
    # One order per target, each filled; the DB's fills are the venue's fills.
    orders = runtime.store.orders()
    assert [(o.side, o.quantity, o.status) for o in orders] == [
        (Side.BUY, D("0.0166"), OrderStatus.FILLED), (Side.SELL, D("0.0329"), OrderStatus.FILLED),
    ]  # fmt: skip
    venue_fills = await adapter.get_fills()
    assert sorted(f.fill_id for f in runtime.store.fills()) == sorted(
        f.fill_id for f in venue_fills
    )
    await runtime.shutdown()


async def test_a_breached_futures_limit_refuses_the_order_with_its_reason(
    adapter: KrakenFuturesAdapter, venue: FuturesPaperExchange, tmp_path: Path
) -> None:
    limits = FuturesRiskLimits(max_notional_per_contract=D(1500))
    runtime, candles = runtime_for(adapter, ["2"], [60000, 60000], tmp_path / "f.db", limits)
    await runtime.start()
    candles.released = 2
    await runtime.step()  # target 2x: 2,000 USD > 1,500
    [order] = runtime.store.orders()
    assert order.status is OrderStatus.REJECTED
    assert order.reason is not None and order.reason.startswith("futures risk limits:")
    assert "max_notional_per_contract 1500" in order.reason
    assert runtime.futures_gate is not None and len(runtime.futures_gate.refusals) == 1
    assert await adapter.get_futures_positions() == []  # never sent
    assert await adapter.find_order(order.client_order_id) is None
    assert "futures_refusals=1" in runtime.status_line()
    await runtime.shutdown()


async def test_a_restart_keeps_positions_and_funding_and_flatten_closes_reduce_only(
    adapter: KrakenFuturesAdapter, venue: FuturesPaperExchange, tmp_path: Path
) -> None:
    path = tmp_path / "f.db"
    runtime, candles = runtime_for(adapter, ["-1"], [60000, 60000], path)
    await runtime.start()
    candles.released = 2
    await runtime.step()  # short 0.0166
    at = venue.lifecycle.next_funding
    assert at is not None
    venue.lifecycle.current[PF] = D("0.0001")
    venue.lifecycle.fund(at)  # the short receives 0.0166 * 0.0001 * 60,000
    await runtime.reconcile()
    assert runtime.portfolio.funding_pnl == D("0.0996")
    await runtime.shutdown()
    runtime.store.close()

    again, _ = runtime_for(adapter, [], [60000, 60000], path)
    report = await again.start()  # the same database: nothing is applied twice
    assert again.portfolio.position(PF).quantity == D("-0.0166")
    assert again.portfolio.funding_pnl == D("0.0996")
    assert report.futures is not None and report.futures.position_differences == []
    assert report.balance_differences == []
    [order] = await again.flatten()  # buys back the short, reduce-only
    assert order.side is Side.BUY and order.quantity == D("0.0166")
    assert order.status is OrderStatus.FILLED
    [sent] = [o for o in venue.engine.orders.values() if o.cli_ord_id == order.client_order_id]
    assert sent.reduce_only  # the venue was told: it can only close
    await again.reconcile()
    assert await adapter.get_futures_positions() == []
    assert again.portfolio.position(PF).quantity == 0
    await again.shutdown()
