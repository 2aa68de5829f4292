"""WebSocket v1 against the paper venue: challenge auth, fills exactly once, books with gaps."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from src.brokers.kraken_futures import KrakenFuturesAdapter, KrakenFuturesSettings
from src.brokers.kraken_futures.limits.budgets import NullFuturesGate
from src.brokers.kraken_futures.ws.backoff import Backoff
from src.brokers.kraken_futures.ws.market_data import KrakenFuturesMarketData
from src.core.execution import Fill, Order, OrderStatus, OrderType, Side
from src.venues.kraken_futures_paper import FuturesPaperExchange
from tests.support.waiting import eventually

D = Decimal


def resting(price: str = "50000", qty: str = "0.01") -> Order:
    return Order(symbol="PF_XBTUSD", side=Side.BUY, quantity=D(qty),
                 order_type=OrderType.LIMIT, limit_price=D(price))  # fmt: skip


class Collector:
    def __init__(self, adapter: KrakenFuturesAdapter) -> None:
        self.fills: list[Fill] = []
        self.task = asyncio.ensure_future(self._run(adapter))

    async def _run(self, adapter: KrakenFuturesAdapter) -> None:
        async for fill in adapter.stream_fills():
            self.fills.append(fill)

    async def wait(self, count: int) -> list[Fill]:
        return await eventually(
            lambda: _now(self.fills), f"{count} fills", ok=lambda f: len(f) >= count, timeout=10
        )

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def _now(fills: list[Fill]) -> list[Fill]:
    return list(fills)


async def _live(adapter: KrakenFuturesAdapter) -> None:
    await adapter.private_feeds.connection.wait_connected(10)


async def test_fills_arrive_on_the_socket_with_kraken_s_fee(
    adapter: KrakenFuturesAdapter, venue: FuturesPaperExchange
) -> None:
    collector = Collector(adapter)
    try:
        await _live(adapter)
        [ack] = await adapter.submit_orders([resting()])
        venue.drive("PF_XBTUSD", "sell", "0.004", "50000")
        [fill] = await collector.wait(1)
        assert fill.order_id == ack.order_id and fill.quantity == D("0.004")
        assert fill.fee == D("0.004") * D(50000) * D("0.0002") and fill.fee_currency == "USD"
        rest = [f for f in await adapter.get_fills() if f.fill_id == fill.fill_id]
        assert rest == [fill]  # the REST reading of the same fill is identical
        update = await adapter.find_order(ack.client_order_id)
        assert update is not None and update.status is OrderStatus.PARTIALLY_FILLED
    finally:
        await collector.stop()


async def test_fills_during_an_outage_arrive_once_after_the_reconnect(
    adapter: KrakenFuturesAdapter, venue: FuturesPaperExchange
) -> None:
    adapter.ws_options = {"backoff": Backoff(initial=0.05, cap=0.2)}
    adapter.fill_poll_interval = 60  # no polling help: the reconnect must fill the gap
    collector = Collector(adapter)
    try:
        await _live(adapter)
        await adapter.submit_orders([resting()])
        venue.drive("PF_XBTUSD", "sell", "0.001", "50000")
        await collector.wait(1)
        venue.faults.drop_private_ws = True
        await venue.ws_hub.drop_private()
        for _ in range(3):
            venue.drive("PF_XBTUSD", "sell", "0.001", "50000")
        await asyncio.sleep(0.3)  # the adapter retries meanwhile and is refused
        venue.faults.drop_private_ws = False
        fills = await collector.wait(4)
        venue.drive("PF_XBTUSD", "sell", "0.001", "50000")
        fills = await collector.wait(5)
        assert len({f.fill_id for f in fills}) == len(fills) == 5
        assert sum(f.quantity for f in fills) == D("0.005")
        assert adapter.private_feeds.connection.connects >= 2
    finally:
        await collector.stop()


async def test_more_fills_than_the_snapshot_holds_are_reconciled_over_rest(
    adapter: KrakenFuturesAdapter, venue: FuturesPaperExchange
) -> None:
    adapter.ws_options = {"backoff": Backoff(initial=0.05, cap=0.2)}
    adapter.fill_poll_interval = 60
    collector = Collector(adapter)
    try:
        await _live(adapter)
        await adapter.submit_orders([resting(qty="2")])
        venue.faults.drop_private_ws = True
        await venue.ws_hub.drop_private()
        for _ in range(120):  # the snapshot holds 100
            venue.drive("PF_XBTUSD", "sell", "0.001", "50000")
        venue.faults.drop_private_ws = False
        fills = await collector.wait(120)
        assert len({f.fill_id for f in fills}) == len(fills) == 120
    finally:
        await collector.stop()


async def test_a_wrong_secret_is_refused_at_the_challenge(venue: FuturesPaperExchange) -> None:
    wrong = "d3Jvbmcgc2VjcmV0IG9mIHNpeHR5LWZvdXIgYnl0ZXMgZm9yIHRoZSB0ZXN0IG9mIHRoZSBzaWduZXI="
    async with KrakenFuturesAdapter(
        venue.api_key, wrong, venue.rest_url, settings=KrakenFuturesSettings(),
        gate=NullFuturesGate(),
    ) as adapter:  # fmt: skip
        adapter.ws_options = {"backoff": Backoff(initial=0.05, cap=0.1)}
        feeds = adapter.private_feeds
        await feeds.start()
        with pytest.raises(TimeoutError):
            await feeds.connection.wait_connected(0.5)


async def test_book_snapshot_deltas_and_gap_resubscribe(venue: FuturesPaperExchange) -> None:
    async with KrakenFuturesMarketData(venue.ws_url) as md:
        await md.subscribe_book("PF_XBTUSD")
        await md.subscribe_ticker("PF_XBTUSD")
        book = await eventually(lambda: _book(md), "a snapshot", ok=lambda b: b.valid)
        assert book.best_bid == D(59970) and book.best_ask == D(60030)
        venue.set_index("XBT", 61000)
        await eventually(lambda: _book(md), "deltas", ok=lambda b: b.best_ask == D(61031))
        venue.faults.book_gap_next = 1
        venue.set_index("XBT", 62000)
        book = await eventually(
            lambda: _book(md), "a fresh snapshot after the gap",
            ok=lambda b: md.gaps == 1 and b.valid and b.best_ask == D(62031),
        )  # fmt: skip
        ticker = md.tickers["PF_XBTUSD"]
        assert ticker.index_price == D(62000) and ticker.mark_price == D(62000)


async def _book(md: KrakenFuturesMarketData):  # type: ignore[no-untyped-def]
    return md.book("PF_XBTUSD")


async def test_private_feeds_show_orders_positions_and_balances(
    adapter: KrakenFuturesAdapter, venue: FuturesPaperExchange
) -> None:
    updates: list[OrderStatus] = []

    async def watch() -> None:
        async for update in adapter.stream_order_updates():
            updates.append(update.status)

    task = asyncio.ensure_future(watch())
    try:
        await _live(adapter)
        [ack] = await adapter.submit_orders([resting()])
        await adapter.submit_orders([Order(symbol="PF_XBTUSD", side=Side.BUY, quantity="0.01")])
        await adapter.cancel_order(ack.order_id or "")
        feeds = adapter.private_feeds
        await eventually(lambda: _now_list(updates), "open then cancelled",
                         ok=lambda u: OrderStatus.CANCELED in u)  # fmt: skip
        assert updates[0] is OrderStatus.OPEN
        await eventually(lambda: _value(feeds.positions), "positions", ok=bool)
        positions = feeds.positions or []
        assert positions[0].quantity == D("0.01") and positions[0].mark_price == D(60000)
        assert positions[0].maintenance_margin == D("0.01") * D(60000) * D("0.01")
        await eventually(lambda: _value(feeds.margins), "balances", ok=_has_initial_margin)
        margins = feeds.margins or {}
        assert margins["flex"].initial_margin == D("0.01") * D(60000) * D("0.02")
        assert margins["fi_xbtusd"].currency == "BTC"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _now_list(items: list[OrderStatus]) -> list[OrderStatus]:
    return list(items)


async def _value(value: object) -> object:
    return value


def _has_initial_margin(margins: Any) -> bool:
    return bool(margins) and margins["flex"].initial_margin > 0
