"""Working orders on the Kraken paper exchange over loopback: amended, then cancelled.

A runtime with a passive offset (``limit_offset_bps=-20``) rests a buy under the market; the
market moves away, the policy amends the order (AmendOrder: same txid), and later cancels it
(``cancel_after_seconds``). The exchange's own records (QueryOrders, ClosedOrders) must agree
with the runtime's OrderStore at each stage. The runtime runs on a manual clock (its timers);
the exchange and the adapter on real time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from src.app.venue import KrakenQuotes
from src.brokers.kraken import NullGate
from src.brokers.kraken_adapter import KrakenAdapter
from src.core.clock import ManualClock
from src.core.execution import OrderStatus, Side
from src.core.kill_switch import KillSwitch
from src.core.market_data import Candle
from src.core.order_amend import OrderAmender
from src.core.order_store import OrderStore
from src.core.risk import RiskLimits, RiskManager
from src.core.runtime import RuntimeConfig, TradingRuntime
from src.core.sizing import SizingConfig, limit_price_for
from src.core.working_orders import WorkingOrderConfig
from src.venues.kraken_paper import PaperExchange
from tests.support.paper import PaperOptions
from tests.support.runtime import ListCandles
from tests.support.working_orders import Scripted

pytestmark = pytest.mark.integration

SYMBOL = "BTC/USD"
PAIR = "XBTUSD"
PRICE = Decimal(30_000)


@pytest.fixture
def paper_options() -> PaperOptions:
    # What is tested is the order of events, not Kraken's budget (its own tests cover that).
    return PaperOptions(prices={PAIR: str(PRICE)}, seed=11, rate_limits=False)


def _hourly(n: int) -> list[Candle]:
    """Flat hourly candles at the market price, the last one an hour ago."""
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=n)
    bar = {"open": PRICE, "high": PRICE, "low": PRICE, "close": PRICE, "volume": Decimal(1)}
    return [
        Candle(symbol=SYMBOL, interval_minutes=60, timestamp=start + timedelta(hours=i), **bar)
        for i in range(n)
    ]


@pytest.fixture
async def adapter(paper_exchange: PaperExchange) -> AsyncIterator[KrakenAdapter]:
    ex = paper_exchange
    async with KrakenAdapter(
        api_key=ex.api_key,
        api_secret=ex.api_secret,
        base_url=ex.rest_url,
        ws_url=ex.ws_url,
        ws_auth_url=ex.ws_auth_url,
        gate=NullGate(),
    ) as adapter:
        yield adapter


def _reasons(db: Path, cloid: str) -> list[str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT reason FROM order_events WHERE client_order_id = ? ORDER BY id", (cloid,)
        ).fetchall()
    return [r[0] or "" for r in rows]


async def test_a_passive_order_is_amended_then_cancelled_and_the_exchange_agrees(
    paper_exchange: PaperExchange, adapter: KrakenAdapter, tmp_path: Path
) -> None:
    assert isinstance(adapter, OrderAmender)
    clock = ManualClock(start=0.0, wall_start=datetime.now(UTC))
    strategy = Scripted()
    candles = ListCandles(_hourly(3), released=2)
    db = tmp_path / "rt.sqlite"
    working = WorkingOrderConfig(
        reprice_after_seconds=5, reprice_threshold_bps=Decimal(10), cancel_after_seconds=120
    )
    runtime = TradingRuntime(
        adapter,
        strategy,
        store=OrderStore(db),
        risk=RiskManager(RiskLimits(kill_file=None), clock, KillSwitch()),
        clock=clock,
        candles=candles,
        quotes=KrakenQuotes(adapter),
        config=RuntimeConfig(
            sizing=SizingConfig(capital_per_pair=Decimal(200), limit_offset_bps=Decimal(-20)),
            reconcile_seconds=3600.0,
            working_orders=working,
        ),
        status_sink=lambda line: None,
    )
    await runtime.start()
    try:
        # A candle with target 1: a passive buy 20 bps under 30,000, resting on the book.
        strategy.target = Decimal(1)
        candles.released += 1
        await runtime.step()
        (order,) = runtime.oms.live.values()
        assert (order.side, order.status, order.limit_price) == (
            Side.BUY,
            OrderStatus.OPEN,
            Decimal("29940.0"),
        )
        txid = order.order_id
        assert txid is not None
        venue = (await adapter.query_orders(txid))[txid]
        assert venue["status"] == "open"
        assert venue.get("cl_ord_id") == order.client_order_id
        assert Decimal(venue["descr"]["price"]) == order.limit_price
        assert Decimal(venue["vol"]) == order.quantity

        # The market runs away (a buy at 30,300): past the threshold and the delay, so the
        # order is amended in place to 20 bps under the new mid, keeping its txid.
        strategy.target = None
        paper_exchange.drive(PAIR, "30300", side="buy")
        clock.advance(6)
        await runtime.step()
        amended = runtime.store.get_order(order.client_order_id)
        assert amended is not None and amended.status is OrderStatus.OPEN
        assert amended.order_id == txid  # the same order: AmendOrder keeps the txid
        reference = amended.reference_price
        assert reference is not None and reference > Decimal(30_200)  # the new mid
        instrument = await adapter.get_instrument(SYMBOL)
        assert amended.limit_price == limit_price_for(reference, Side.BUY, Decimal(-20), instrument)
        assert runtime.working.counts["amended"] == 1
        venue = (await adapter.query_orders(txid))[txid]
        assert venue["status"] == "open"
        assert Decimal(venue["descr"]["price"]) == amended.limit_price
        assert Decimal(venue["vol"]) == amended.quantity == order.quantity
        assert txid in adapter.open_orders  # the adapter's one registry still holds it

        # Quiet until cancel_after: then it is cancelled, and the exchange says so too.
        clock.advance(120)
        await runtime.step()
        final = runtime.store.get_order(order.client_order_id)
        assert final is not None and final.status is OrderStatus.CANCELED
        assert runtime.oms.live == {} and runtime.oms.pending_quantities() == {}
        assert txid not in adapter.open_orders
        closed = {o.order_id: o for o in await adapter.get_orders("closed")}
        assert closed[txid].status is OrderStatus.CANCELED
        assert closed[txid].limit_price == final.limit_price == amended.limit_price
        assert closed[txid].quantity == final.quantity
        assert closed[txid].filled_quantity == final.filled_quantity == 0
        assert closed[txid].client_order_id == order.client_order_id
        assert (await adapter.query_orders(txid))[txid]["status"] == "canceled"
        assert await adapter.get_orders("open") == []

        reasons = _reasons(db, order.client_order_id)
        assert any(r.startswith("amend requested: limit 29940.0 -> ") for r in reasons)
        assert any(r.startswith("amended: ") for r in reasons)
        assert any(r.startswith("cancel requested: cancel_after") for r in reasons)
        assert runtime.store.fills() == [] and await adapter.get_fills() == []
    finally:
        await runtime.shutdown()
