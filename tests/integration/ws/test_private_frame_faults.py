"""Malformed private frames never lose a fill or an order state, and never repeat one.

A proxy between the adapter and the paper exchange's private socket replaces chosen
``executions`` updates with malformed copies (broken JSON, wrong types, missing fields, unknown
shapes). Every fill TradesHistory lists must still arrive from ``stream_fills()`` exactly once,
and every order's final state from ``stream_order_updates()`` exactly once: each malformed frame
is logged and reconciled over REST, the same path a reconnect takes.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from src.brokers.kraken_adapter import KrakenAdapter
from src.core.execution import Fill, Order, OrderStatus, OrderType, OrderUpdate, Side, utc_now
from tests.support.private_proxy import QTY, adapter_behind, buy_limit, last_btc
from tests.support.waiting import eventually
from tests.support.ws_fault_proxy import MALFORMED_KINDS, WsFaultProxy, malform

pytestmark = pytest.mark.integration
_FILL_KINDS = ("exec_id_wrong_type", "missing_last_qty")


class CorruptExecutions:
    """Replaces every other ``trade`` update and every third other update with a malformed copy.

    The malformations cycle through ``MALFORMED_KINDS`` (fill-only ones on fills only), so each
    kind hits fills as well as order states.
    """

    def __init__(self) -> None:
        self.enabled = True
        self.snapshots = 0
        self.trades = 0
        self.others = 0
        self.corrupted: list[tuple[str, str]] = []  # (exec_type, kind)
        self._kinds = itertools.cycle(MALFORMED_KINDS)
        self._order_kinds = itertools.cycle([k for k in MALFORMED_KINDS if k not in _FILL_KINDS])

    def __call__(self, text: str) -> list[str | bytes]:
        if '"executions"' not in text:
            return [text]
        frame = json.loads(text)
        if frame.get("channel") != "executions":
            return [text]  # e.g. the subscribe ack
        if frame.get("type") == "snapshot":
            self.snapshots += 1
            return [text]
        exec_type = str(frame["data"][0].get("exec_type"))
        if exec_type == "trade":
            self.trades += 1
            hit, kinds = self.trades % 2 == 1, self._kinds
        else:
            self.others += 1
            hit, kinds = self.others % 3 == 0, self._order_kinds
        if not (self.enabled and hit):
            return [text]
        kind = next(kinds)
        self.corrupted.append((exec_type, kind))
        return [malform(text, kind)]


@pytest.fixture
def faults() -> CorruptExecutions:
    return CorruptExecutions()


@pytest.fixture
async def proxy(exchange: Any, faults: CorruptExecutions) -> AsyncIterator[WsFaultProxy]:
    async with WsFaultProxy(exchange.ws_auth_url, rewrite=faults) as proxy:
        yield proxy


@pytest.fixture
async def adapter_via_proxy(exchange: Any, proxy: WsFaultProxy) -> AsyncIterator[KrakenAdapter]:
    """REST straight to the exchange, the private socket through the corrupting proxy."""
    async with adapter_behind(exchange, proxy.url) as adapter:
        yield adapter


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_stream_fills_delivers_every_fill_once_through_malformed_frames(
    exchange: Any,
    adapter_via_proxy: KrakenAdapter,
    faults: CorruptExecutions,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="src.brokers.kraken.ws")
    adapter = adapter_via_proxy
    started = utc_now()
    received: list[Fill] = []

    async def consume() -> None:
        async for fill in adapter.stream_fills():
            received.append(fill)

    task = asyncio.create_task(consume())
    try:
        await eventually(lambda: faults.snapshots >= 1, "the executions subscription")
        base = last_btc(exchange)
        prices = [base - 100 - 2 * i for i in range(6)]
        for price in prices:
            await buy_limit(adapter, price)
        for price in prices:  # two partial fills per order: twelve fills, six hidden
            exchange.drive("BTC/USD", price, "0.001", "sell")
            exchange.drive("BTC/USD", price, "0.001", "sell")
        await adapter.submit_orders([Order(symbol="BTC/USD", side=Side.BUY, quantity=QTY,
                                           order_type=OrderType.MARKET)])  # fmt: skip
        venue = await adapter.get_fills(started - timedelta(seconds=5))
        assert len(venue) == 13
        want = sorted(f.fill_id for f in venue)
        await eventually(
            lambda: sorted({f.fill_id for f in received}) == want, "every fill", timeout=10
        )
        await asyncio.sleep(0.6)  # past the gap recheck: any duplicate would be here by now
        assert sorted(f.fill_id for f in received) == want  # each exactly once
        assert sum(1 for kind, _ in faults.corrupted if kind == "trade") >= 6
        by_id = {f.fill_id: f for f in venue}
        for fill in received:  # what REST recovered is the fill the venue made
            expected = by_id[fill.fill_id]
            assert (fill.quantity, fill.price, fill.side) == (
                expected.quantity, expected.price, expected.side,
            )  # fmt: skip
    finally:
        await _stop(task)
    text = caplog.text
    assert "not JSON" in text  # the truncated frame, named as such
    assert "exec_type" in text and "teleported" in text
    assert "cum_qty" in text and "reconcil" in text


async def test_stream_order_updates_recovers_states_hidden_by_malformed_frames(
    exchange: Any, adapter_via_proxy: KrakenAdapter, faults: CorruptExecutions
) -> None:
    adapter = adapter_via_proxy
    updates: list[OrderUpdate] = []

    async def consume() -> None:
        async for update in adapter.stream_order_updates():
            updates.append(update)

    task = asyncio.create_task(consume())
    try:
        await eventually(lambda: faults.snapshots >= 1, "the executions subscription")
        base = last_btc(exchange)
        prices = [base - 100 - 2 * i for i in range(5)]
        filled = [await buy_limit(adapter, price) for price in prices]
        for price in prices:
            exchange.drive("BTC/USD", price, str(QTY), "sell")
        cancelled = await buy_limit(adapter, base - 300)
        await adapter.cancel_order(cancelled)

        def final(oid: str) -> OrderUpdate | None:
            mine = [u for u in updates if u.order_id == oid]
            return mine[-1] if mine and mine[-1].status.is_final else None

        await eventually(lambda: all(final(o) for o in [*filled, cancelled]), timeout=10)
        await asyncio.sleep(0.6)  # past the gap recheck
        for oid in filled:
            mine = [u for u in updates if u.order_id == oid]
            assert [u.status for u in mine].count(OrderStatus.FILLED) == 1
            assert mine[-1].status is OrderStatus.FILLED and mine[-1].filled_quantity == QTY
        last = final(cancelled)
        assert last is not None and last.status is OrderStatus.CANCELED
        keys = [(u.order_id, u.status, u.filled_quantity, u.limit_price) for u in updates]
        assert len(keys) == len(set(keys))  # no state yielded twice
        assert any(kind == "filled" for kind, _ in faults.corrupted)  # finals were hidden
    finally:
        await _stop(task)
