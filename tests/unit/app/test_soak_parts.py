"""The soak harness's pure parts: dead man coverage, the fault plan, memory slope, the checks."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from src.app.soak.audit import AuditResult, check_applied, check_fills, check_orders
from src.app.soak.churn import ChurnStrategy, OrderMix
from src.app.soak.config import SoakConfig
from src.app.soak.dead_man import armed_windows, coverage, uncovered
from src.app.soak.metrics import MemoryTrack
from src.app.soak.proxy import DeadManReply
from src.app.soak.records import ExchangeRecords, PairInfo, RuntimeRecords, common_asset
from src.app.soak.runner import SoakRun
from src.app.soak.schedule import PROCESS_EVENTS, RUNTIME_KILL, ProcessEvent, process_plan
from src.core.execution import Fill, OrderStatus, OrderType, Side
from src.core.market_data import Candle
from src.core.order_state import ManagedOrder
from src.core.portfolio import PositionState

T0 = 1_800_000_000.0


def test_arms_chain_into_one_window_and_a_disarm_cuts_it() -> None:
    replies = [
        DeadManReply(T0, T0 + 100),
        DeadManReply(T0 + 50, T0 + 150),
        DeadManReply(T0 + 120, 0.0),  # disarmed
        DeadManReply(T0 + 300, T0 + 400),
    ]
    assert armed_windows(replies) == [(T0 + 1, T0 + 120), (T0 + 301, T0 + 400)]
    assert armed_windows(replies, grace=10) == [(T0 + 1, T0 + 120), (T0 + 301, T0 + 410)]


def test_uncovered_seconds() -> None:
    cover = [(10.0, 20.0), (30.0, 40.0)]
    assert uncovered((12.0, 18.0), cover) == 0
    assert uncovered((5.0, 45.0), cover) == 5 + 10 + 5
    assert uncovered((41.0, 50.0), cover) == 9


def test_an_order_opened_before_the_arm_is_reported_one_outliving_it_by_a_step_is_not() -> None:
    replies = [DeadManReply(T0 + 10, T0 + 1000)]
    orders = {
        "early": {"opentm": T0 + 2, "closetm": T0 + 500},  # opened 8 s before the switch
        "late_cancel": {"opentm": T0 + 100, "closetm": T0 + 1200},  # outlived it by 200 s
        "instant": {"opentm": T0 + 5, "closetm": T0 + 5},  # filled on arrival: never open
        "open": {"opentm": T0 + 20},  # still open at the snapshot, inside the window
    }
    found = coverage(orders, replies, now=T0 + 900, since=T0, outages=[], grace=250)
    assert found.uncovered_orders == ["early"]
    assert found.orders_checked == 3 and found.arms == 1
    down = coverage(orders, replies, now=T0 + 900, since=T0, outages=[(T0, T0 + 11)], grace=250)
    assert down.ok  # the exchange was down then: nothing could trade


def test_plan_is_seeded_spaced_and_has_every_kind() -> None:
    cfg = SoakConfig(days=3, speed=3600, workdir=Path("unused"))
    plan = process_plan(cfg, random.Random(7))
    assert plan == process_plan(cfg, random.Random(7))
    assert {e.kind for e in plan} == set(PROCESS_EVENTS)
    times = [e.at for e in plan]
    assert times == sorted(times) and all(0 < t < cfg.sim_seconds for t in times)
    assert all(b - a >= 12 * cfg.speed / 2 for a, b in itertools.pairwise(times))
    assert process_plan(SoakConfig(faults=False, workdir=Path("unused")), random.Random(1)) == []
    long = process_plan(SoakConfig(days=30, workdir=Path("unused")), random.Random(1))
    assert sum(e.kind == RUNTIME_KILL for e in long) == 9


def test_memory_growth_is_the_slope_past_start_up() -> None:
    track = MemoryTrack()
    for i in range(20):
        day = i / 8
        track.add(day, 1, int((100 + (50 if day < 0.15 else 0) + 2 * day) * 2**20))
    track.add(3.0, 2, None)  # not running: no reading
    growth = track.growth_mib_per_day()
    assert growth is not None and abs(growth - 2) < 1e-9
    assert MemoryTrack().growth_mib_per_day() is None


def test_churn_and_mix_are_functions_of_the_candle() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    candle = Candle(
        symbol="BTC/USD", interval_minutes=15, timestamp=at, open=Decimal(1), high=Decimal(1),
        low=Decimal(1),
        close=Decimal(1), volume=Decimal(1),
    )  # fmt: skip
    a, b = ChurnStrategy(["BTC/USD"], 1, 15), ChurnStrategy(["BTC/USD"], 1, 15)
    assert a.on_candle(candle) == b.on_candle(candle)
    assert OrderMix(1).offset(candle) == OrderMix(1).offset(candle)
    assert common_asset("XXBT") == "BTC" and common_asset("ZUSD") == "USD"
    assert common_asset("SOL") == "SOL"


def _order(cloid: str, txid: str | None, qty: str = "1", filled: str = "0") -> ManagedOrder:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return ManagedOrder(
        client_order_id=cloid, symbol="BTC/USD", side=Side.BUY, order_type=OrderType.MARKET,
        quantity=Decimal(qty), status=OrderStatus.FILLED, created_at=at, updated_at=at,
        order_id=txid, filled_quantity=Decimal(filled),
    )  # fmt: skip


def test_checks_find_a_double_send_an_unknown_order_and_a_lost_fill() -> None:
    pairs = {"XXBTZUSD": PairInfo("XXBTZUSD", "BTC/USD", "XXBT", "ZUSD")}
    trade = {"pair": "XXBTZUSD", "ordertxid": "O1", "type": "buy", "vol": "1", "price": "10",
             "fee": "0.01", "time": T0}  # fmt: skip
    ex = ExchangeRecords(
        at=T0,
        orders={"O1": {"cl_ord_id": "a"}, "O2": {"cl_ord_id": "a"}, "O3": {"cl_ord_id": "z"}},
        trades={"T1": trade, "T2": {**trade, "ordertxid": "O2"}},
    )
    fill = Fill(
        fill_id="T1", order_id="O1", client_order_id="a", symbol="BTC/USD", side=Side.BUY,
        quantity=Decimal(1), price=Decimal(10), fee=Decimal("0.01"), fee_currency="USD",
        timestamp=datetime.fromtimestamp(T0, UTC),
    )  # fmt: skip
    rt = RuntimeRecords([_order("a", "O1", filled="1")], [fill], {}, {}, {})
    result = AuditResult("test")
    check_orders(result, ex, ex, rt)
    check_fills(result, ex, ex, rt, pairs)
    failed = {c.name for c in result.failures()}
    assert failed == {
        "no order sent twice",
        "every exchange order known to the DB",
        "every exchange trade in the DB",
    }
    assert result.figures["sent_twice"] == 1 and result.figures["fills_lost"] == 1
    assert result.figures["orders_unknown_to_db"] == 1  # O3 (O2 shares a's client id)


def test_applied_books_compare_the_db_position_with_the_exchange_rows_of_its_fills() -> None:
    pairs = {"XXBTZUSD": PairInfo("XXBTZUSD", "BTC/USD", "XXBT", "ZUSD")}
    row = {"pair": "XXBTZUSD", "ordertxid": "O1", "type": "buy", "vol": "1", "price": "10",
           "fee": "0.01", "time": T0}  # fmt: skip
    ex = ExchangeRecords(at=T0, trades={"T1": row, "T2": {**row, "time": T0 + 1}})
    fill = Fill(
        fill_id="T1", order_id="O1", client_order_id="a", symbol="BTC/USD", side=Side.BUY,
        quantity=Decimal(1), price=Decimal(10), fee=Decimal("0.01"), fee_currency="USD",
        timestamp=datetime.fromtimestamp(T0, UTC),
    )  # fmt: skip
    held = PositionState("BTC/USD", Decimal(1), Decimal(10), fees=Decimal("0.01"), trades=1)
    good = AuditResult("ok")
    check_applied(good, ex, RuntimeRecords([], [fill], {"BTC/USD": held}, {}, {}), pairs)
    assert good.ok  # T2 is not in the DB yet: not compared
    bad = AuditResult("bad")
    doubled = PositionState("BTC/USD", Decimal(2), Decimal(10), fees=Decimal("0.02"), trades=2)
    check_applied(bad, ex, RuntimeRecords([], [fill], {"BTC/USD": doubled}, {}, {}), pairs)
    assert not bad.ok


class _ScriptedRun(SoakRun):
    """The plan loop alone: the clock is a script, and playing an event takes a day."""

    def __init__(self, cfg: SoakConfig) -> None:
        self.lines: list[str] = []
        super().__init__(cfg, say=self.lines.append)
        self.played: list[str] = []

    async def _tick_clock(self) -> None:
        self.state.sim += 600.0

    async def _play(self, event: ProcessEvent) -> None:
        self.played.append(event.kind)
        self.state.sim += 86_400.0  # a restart and its audit outlasting the gap to the next

    async def _check_worker(self) -> None:
        return None

    def _sample(self) -> None:
        return None

    def _counts(self) -> tuple[int, int]:
        return 0, 0


async def test_events_overdue_at_the_end_are_still_played(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_wait(_: float) -> None:
        return None

    monkeypatch.setattr("src.app.soak.runner.asyncio.sleep", no_wait)
    cfg = SoakConfig(days=1, speed=3600, workdir=Path("unused"))
    plan = [ProcessEvent(7_200.0 * (i + 1), kind, 0.0) for i, kind in enumerate(PROCESS_EVENTS)]
    run = _ScriptedRun(cfg)
    await run._loop(list(plan))
    # The first event alone used up the day; the other two came after the nominal end.
    assert run.played == list(PROCESS_EVENTS)
    assert run.state.sim > cfg.sim_seconds
    assert any("2 planned event(s) overdue" in line for line in run.lines)
