"""The exchange as a separate process, killed with SIGKILL and restarted on the same database.

An acknowledged order must survive ``kill -9`` whatever transport acknowledged it, and a
restarted exchange must continue its market and its clock where they were, not start over.
"""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from src.venues.kraken_paper.sources import ReplaySource
from src.venues.kraken_paper.store import SCHEMA_VERSION, Store
from tests.integration.paper.paper_process import (
    server_time,
    start_process,
    ticker_last,
    ws_trader,
)
from tests.support.paths import ROOT
from tests.support.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.slow]
N_ORDERS = 12


async def test_ws_acknowledged_orders_survive_kill_nine(tmp_path: Path) -> None:
    db = tmp_path / "paper.db"
    ex = await start_process(db, "--market", "synthetic")
    client = ex.client()
    try:
        below = (await ticker_last(client, "XBTUSD") * Decimal("0.8")).quantize(Decimal("1"))
        async with ws_trader(ex.ws_auth_url, client) as ws:
            ids = []
            for i in range(N_ORDERS):
                [ack] = await ws.call("add_order", order_type="limit", side="buy",
                                      order_qty=0.001, symbol="BTC/USD",
                                      limit_price=float(below), cl_ord_id=f"dur-{i}")  # fmt: skip
                assert ack["success"] is True, ack
                ids.append(ack["result"]["order_id"])
            [amended] = await ws.call("amend_order", order_id=ids[0], order_qty=0.002)
            [cancelled] = await ws.call("cancel_order", order_id=[ids[-3]])
            [batch] = await ws.call("batch_cancel", orders=ids[-2:])
            assert all(r["success"] for r in (amended, cancelled, batch)), (amended, batch)
            await ex.kill()  # at once: the acks are all the client has
    finally:
        await client.aclose()
        if ex.proc.returncode is None:
            await ex.kill()

    again = await start_process(db, "--market", "synthetic")
    client = again.client()
    try:
        orders = await client.ok("QueryOrders", txid=",".join(ids))
        assert set(orders) == set(ids), "an acknowledged order was lost"
        assert [orders[t]["status"] for t in ids] == ["open"] * (N_ORDERS - 3) + ["canceled"] * 3
        assert orders[ids[0]]["vol"] == "0.00200000"  # the amend survived too
        assert orders[ids[1]]["cl_ord_id"] == "dur-1"
        assert set((await client.ok("OpenOrders"))["open"]) == set(ids[: N_ORDERS - 3])
    finally:
        await client.aclose()
        await again.stop()


async def test_market_and_clock_continue_across_restarts(tmp_path: Path) -> None:
    db = tmp_path / "paper.db"
    # Where a fresh replay starts (after its 12-hour backfill): a restart must not go back here.
    fresh = (await ReplaySource().backfill(0.0, 720))["XETHZUSD"][-1].close
    times: list[int] = []

    # 1. Far into the replay at 100 market hours a second, on a clock 100x real time.
    ex = await start_process(db, "--market", "replay", "--speed", "360000", "--clock-speed", "100")
    client = ex.client()
    try:
        times.append(await server_time(client))

        def far(price: Decimal) -> bool:
            return abs(price - fresh) / fresh > Decimal("0.1")

        await eventually(lambda: ticker_last(client, "ETHUSD"), "ETH 10 % away", ok=far, timeout=30)
        # 50 clock seconds within the 5 real seconds ``eventually`` allows: only at >= 10x.
        times.append(await eventually(lambda: server_time(client), "the clock to run fast",
                                      ok=lambda t: t - times[0] >= 50))  # fmt: skip
    finally:
        await client.aclose()
    await ex.stop()

    # 2. Restarted at a walking pace: it resumes where it stopped; then killed without warning.
    ex = await start_process(db, "--market", "replay", "--speed", "600", "--clock-speed", "100")
    client = ex.client()
    try:
        times.append(await server_time(client))
        resumed = await ticker_last(client, "ETHUSD")
        assert abs(resumed - fresh) / fresh > Decimal("0.05"), "the replay started over"
        await eventually(lambda: ticker_last(client, "ETHUSD"), "the market to tick",
                         ok=lambda p: p != resumed)  # fmt: skip
        before = await ticker_last(client, "ETHUSD")
        times.append(await server_time(client))
        await ex.kill()
    finally:
        await client.aclose()
        if ex.proc.returncode is None:
            await ex.kill()

    # 3. Restarted after kill -9 with a still market: the first prices are the last ones.
    ex = await start_process(db, "--market", "replay", "--speed", "0", "--clock-speed", "100")
    client = ex.client()
    try:
        times.append(await server_time(client))
        after = await ticker_last(client, "ETHUSD")
        # One market step (2.5 market minutes) may separate the last read from the kill.
        assert abs(after - before) / before < Decimal("0.02"), (before, after)
        times.append(await server_time(client))
    finally:
        await client.aclose()
        await ex.stop()
    assert times == sorted(times), f"the exchange clock went back: {times}"


def test_cli_refuses_a_bad_clock_speed_and_an_unreadable_db(tmp_path: Path) -> None:
    cli = [sys.executable, "-m", "src.brokers.paper", "--market", "synthetic"]
    bad = subprocess.run([*cli, "--clock-speed", "0"], cwd=ROOT, capture_output=True, text=True)  # noqa: S603
    assert bad.returncode == 2 and "--clock-speed must be positive" in bad.stderr
    db = tmp_path / "future.db"
    store = Store(db)
    store.put_meta("schema", SCHEMA_VERSION + 1)
    store.close()
    out = subprocess.run([*cli, "--db", str(db)], cwd=ROOT, capture_output=True, text=True)  # noqa: S603
    assert out.returncode == 2
    assert "newer than this exchange's" in out.stderr and "--reset" in out.stderr
