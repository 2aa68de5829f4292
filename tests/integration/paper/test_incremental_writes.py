"""State writes are incremental: what one order costs the database does not grow with history.

Measured deterministically, never by timing: every SQL statement the store runs is seen through
SQLite's trace callback (with its bound values expanded), and the bytes and rows of the writes
made while serving order 50 are compared with those of order 1,000.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from src.core.clock import ManualClock
from src.venues.kraken_paper import PaperExchange
from tests.integration.paper.kraken_client import Client

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ORDERS = 1000
EARLY, LATE = range(40, 60), range(ORDERS - 20, ORDERS)


class WriteMeter:
    """Counts the write statements (and their expanded SQL bytes) a connection runs."""

    def __init__(self) -> None:
        self.statements = 0
        self.bytes = 0

    def __call__(self, sql: str) -> None:
        if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "REPLACE")):
            self.statements += 1
            self.bytes += len(sql)


async def test_per_order_write_cost_does_not_grow_with_history(tmp_path: Path) -> None:
    clock = ManualClock(start=0.0, wall_start=datetime(2024, 5, 1, tzinfo=UTC))
    async with PaperExchange(
        market="synthetic", db_path=tmp_path / "paper.db", auto_tick=False, clock=clock,
        rate_limits=False, initial_balances={"USD": "1000000", "BTC": "10"},
    ) as ex:  # fmt: skip
        ex.drive("XBTUSD", "30000.0")
        assert ex.store is not None
        db = ex.store.connection
        meter = WriteMeter()
        db.set_trace_callback(meter)
        client = Client(ex.rest_url, ex.api_key, ex.api_secret)
        cost: dict[int, tuple[int, int]] = {}
        rows: dict[int, int] = {}
        try:
            for i in range(ORDERS):
                # Alternate a resting limit (an order row) and a fill (order, trade, ledger
                # and account rows), so every kind of history grows.
                params: dict[str, Any] = (
                    {"ordertype": "limit", "price": "20000.0"} if i % 2 else {"ordertype": "market"}
                )
                statements, written = meter.statements, meter.bytes
                changes = db.total_changes
                await client.ok("AddOrder", pair="XBTUSD", type="buy", volume="0.0001", **params)
                cost[i] = (meter.statements - statements, meter.bytes - written)
                rows[i] = db.total_changes - changes
                if i % 2 == 0:  # the book the market buy took from comes back
                    ex.drive("XBTUSD", "30000.0")
        finally:
            await client.aclose()
        open_orders = len(ex.engine.open_orders())
    assert open_orders == ORDERS // 2
    for parity in (0, 1):
        early = [cost[i] for i in EARLY if i % 2 == parity]
        late = [cost[i] for i in LATE if i % 2 == parity]
        assert {s for s, _ in late} == {s for s, _ in early}, "statements per order changed"
        assert {rows[i] for i in LATE if i % 2 == parity} == {
            rows[i] for i in EARLY if i % 2 == parity
        }
        early_bytes = sum(b for _, b in early) / len(early)
        late_bytes = sum(b for _, b in late) / len(late)
        # Allow for longer numbers (balances, volumes); a full rewrite would be ~20x.
        assert late_bytes < early_bytes * 1.2, (early_bytes, late_bytes)
