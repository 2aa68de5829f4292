"""Kill -9 the runtime at random points mid-trading, restart it, and audit against the exchange.

The paper exchange runs in this process and outlives every worker; each worker runs the real
runtime (adapter over loopback HTTP, SQLite WAL store) in its own process and is killed
without warning. After the last restart the database and the exchange must agree: every trade
of ours recorded exactly once, every order the exchange holds known to the database, positions
equal to the exchange's balance changes, and no order sent twice.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from src.app.clocks import ScaledClock
from src.brokers.kraken_adapter import KrakenAdapter
from src.core.execution import OrderStatus
from src.core.order_store import OrderStore
from src.venues.kraken_paper import PaperExchange
from tests.support.paths import ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SPEED = 3600.0


async def _worker(
    ex: PaperExchange, db: Path, duration: float | None = None, crash: str | None = None
) -> asyncio.subprocess.Process:
    args = [
        sys.executable, "-m", "tests.integration.runtime.crash_worker", "--url", ex.rest_url,
        "--ws-auth-url", ex.ws_auth_url, "--key", ex.api_key, "--secret", ex.api_secret,
        "--db", str(db), "--speed", str(SPEED),
    ]  # fmt: skip
    if duration is not None:
        args += ["--duration", str(duration)]
    if crash is not None:
        args += ["--crash", crash]
    proc = await asyncio.create_subprocess_exec(
        *args, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    assert proc.stdout is not None

    async def ready() -> None:  # log lines may come first
        while (line := await proc.stdout.readline()) and line.strip() != b"READY":  # type: ignore[union-attr]
            pass
        assert line.strip() == b"READY"

    await asyncio.wait_for(ready(), timeout=30)
    return proc


async def test_kill_nine_at_random_points_loses_and_doubles_nothing(tmp_path: Path) -> None:
    rng = random.Random(7)
    db = tmp_path / "runtime.sqlite"
    clock = ScaledClock(SPEED)
    async with PaperExchange(speed=SPEED, clock=clock, tick_interval=0.05, tier="pro") as ex:
        async with KrakenAdapter(
            api_key=ex.api_key, api_secret=ex.api_secret, base_url=ex.rest_url
        ) as ad:
            start_balances = dict(await ad.get_account())
        for _ in range(2):  # anywhere: between orders, mid-write, mid-reconcile
            proc = await _worker(ex, db)
            await asyncio.sleep(rng.uniform(0.8, 2.0))
            os.kill(proc.pid, signal.SIGKILL)
            await proc.wait()
        for crash in ("before_send", "after_send"):  # the two windows that matter most
            proc = await _worker(ex, db, crash=crash)
            await asyncio.wait_for(proc.wait(), timeout=30)
            assert proc.returncode == -signal.SIGKILL
        proc = await _worker(ex, db, duration=2.0)  # restart, reconcile, trade on, stop cleanly
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
        assert proc.returncode == 0, out

        async with KrakenAdapter(
            api_key=ex.api_key, api_secret=ex.api_secret, base_url=ex.rest_url
        ) as ad:
            venue_fills = await ad.get_fills()
            open_orders = await ad.get_orders("open")
            balances = await ad.get_account()
        store = OrderStore(db)
        orders = store.orders()
        db_fills = store.fills()

    assert len(db_fills) >= 3, "the workers should have traded"
    # Every trade on the account is ours and recorded exactly once.
    assert sorted(f.fill_id for f in db_fills) == sorted(f.fill_id for f in venue_fills)
    assert len({f.fill_id for f in db_fills}) == len(db_fills)
    # Every order the exchange filled is known to the database, once per client order id.
    by_order_id = {o.order_id: o for o in orders if o.order_id}
    assert {f.order_id for f in venue_fills} <= set(by_order_id)
    assert len({o.client_order_id for o in orders}) == len(orders)
    # Nothing left working or unresolved after the clean stop.
    assert open_orders == []
    assert [o for o in orders if o.status in (OrderStatus.UNKNOWN, OrderStatus.PENDING)] == []
    # Each order's fills add up to at most its size: nothing doubled.
    for order in orders:
        assert order.filled_quantity <= order.quantity
    # The order killed before sending was declared never accepted; the one killed after
    # sending was found on the exchange by client order id and kept (not sent again).
    unsent = [o for o in orders if o.reason == "not found at the venue"]
    assert unsent and all(o.order_id is None for o in unsent)
    assert all(o.status is OrderStatus.REJECTED for o in unsent)
    resolved = [
        o
        for o in orders
        if store.order_events(o.client_order_id)[-1:] == ["filled"] and o.reason == "venue report"
    ]
    assert resolved, "the order whose answer was lost should be resolved from the venue"
    # Positions equal the exchange's balance changes.
    positions = store.positions()
    for symbol, base in (("BTC/USD", "BTC"), ("ETH/USD", "ETH")):
        held = positions[symbol].quantity if symbol in positions else Decimal(0)
        change = balances[base] - start_balances.get(base, Decimal(0))
        assert held == change, symbol
