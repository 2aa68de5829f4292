"""``ktrade status`` reads a runtime database: positions, open orders, PnL, the kill switch."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from src.core.execution import Fill, OrderStatus, OrderType, Side
from src.core.order_state import ManagedOrder
from src.core.order_store import OrderStore
from src.core.portfolio import PositionState
from tests.unit.cli.cli_support import Home, Result

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def _order(cloid: str, status: OrderStatus, **extra: object) -> ManagedOrder:
    return ManagedOrder(
        client_order_id=cloid,
        symbol="BTC/USD",
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        quantity=Decimal("0.01"),
        status=status,
        created_at=T0,
        updated_at=T0,
        limit_price=Decimal("40000"),
        order_id=f"O-{cloid}",
        **extra,  # type: ignore[arg-type]
    )


def _bot_db(path: Path) -> Path:
    store = OrderStore(path)
    store.put("baseline_balances", {"USD": "1000", "BTC": "0"})
    filled = _order("filled-1", OrderStatus.FILLED, filled_quantity=Decimal("0.01"))
    store.save_order(filled)
    fill = Fill(
        fill_id="T1",
        order_id="O-filled-1",
        client_order_id="filled-1",
        symbol="BTC/USD",
        side=Side.BUY,
        quantity=Decimal("0.01"),
        price=Decimal("40000"),
        fee=Decimal("1.04"),
        fee_currency="USD",
        timestamp=T0,
    )
    position = PositionState(
        "BTC/USD", Decimal("0.01"), Decimal("40000"), Decimal("12.5"), Decimal("1.04"), 3
    )
    store.record_fill(fill, filled, position, {"USD": "598.96", "BTC": "0.01"})  # type: ignore[dict-item]
    store.save_order(_order("resting-2", OrderStatus.OPEN))
    store.save_order(_order("lost-3", OrderStatus.UNKNOWN))
    store.put("risk_state", {"day": "2026-01-05", "day_start": "1000", "peak": "1012.5"})
    store.close()
    return path


def test_status_shows_positions_orders_and_pnl(home: Home, ktrade: Callable[..., Result]) -> None:
    db = _bot_db(home.data / "runtime" / "paper.sqlite")
    result = ktrade("status")
    assert result.code == 0, result.err
    out = result.out
    assert f"database     {db}" in out
    assert "positions (1 open)" in out
    assert "BTC/USD      0.01      40000      40000        0.00     12.50  1.04      3" in out
    assert "open orders (1)" in out and "resting-2" in out
    assert "UNKNOWN outcome block their pair" in out and "lost-3" in out
    assert "PnL          realized 12.50, unrealized 0.00 (at last fill prices), fees 1.04" in out
    assert "net 11.46" in out
    assert "BTC +0.01" in out and "USD -401.04" in out
    assert "equity peak 1,012.50" in out
    assert "kill switch  not tripped (as recorded); touch KILL to trip it" in out


def test_status_reports_a_tripped_kill_switch_and_a_kill_file(
    home: Home, ktrade: Callable[..., Result]
) -> None:
    db = _bot_db(home.root / "bot.sqlite")
    (home.root / "KILL").touch()
    assert "kill file KILL is PRESENT" in ktrade("status", "--db", str(db)).out
    store = OrderStore(db)
    store.put("kill_switch", {"reason": "drawdown 10.2% reached the limit 10%", "at": "12:00"})
    store.close()
    out = ktrade("status", "--db", str(db)).out
    assert "kill switch  TRIPPED: drawdown 10.2% reached the limit 10% (at 12:00)" in out


def test_status_json_is_machine_readable(home: Home, ktrade: Callable[..., Result]) -> None:
    db = _bot_db(home.root / "bot.sqlite")
    doc = json.loads(ktrade("status", "--db", str(db), "--json").out)
    assert doc["positions"]["BTC/USD"]["quantity"] == "0.01"
    assert {o["client_order_id"] for o in doc["open_orders"]} == {"resting-2", "lost-3"}
    assert doc["pnl"]["realized"] == "12.5" and doc["fills"] == 1


def test_status_picks_the_newest_database(
    home: Home, ktrade: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    paper = _bot_db(home.data / "runtime" / "paper.sqlite")
    live = _bot_db(home.data / "runtime" / "live.sqlite")
    old = (T0 - timedelta(days=1)).timestamp()
    for path in (paper, paper.with_name("paper.sqlite-wal")):
        if path.exists():
            os.utime(path, (old, old))
    assert f"database     {live}" in ktrade("status").out
    assert f"database     {paper}" in ktrade("status", "--mode", "paper").out


def test_status_without_any_database_says_how_to_get_one(
    home: Home, ktrade: Callable[..., Result]
) -> None:
    result = ktrade("status")
    assert result.code == 2
    assert "error: no runtime database in" in result.err
    assert "fix: start a bot with `ktrade paper`" in result.err


def test_status_shows_a_running_bots_last_status_line_and_its_trip(
    home: Home, ktrade: Callable[..., Result]
) -> None:
    import os

    db = _bot_db(home.root / "bot.sqlite")
    store = OrderStore(db)
    now = datetime.now(UTC)
    started = (now - timedelta(minutes=5)).isoformat()
    store.put("session", {"mode": "live", "pid": os.getpid(), "started": started, "ended": None})
    line = "equity=988.00 pnl=-12.00 positions[flat] open=0 kill=signal SIGUSR1"
    store.put("status_line", {"line": line, "at": (now - timedelta(seconds=3)).isoformat()})
    store.put("kill_switch", {"reason": "signal SIGUSR1", "at": "2026-01-05T12:00:07+00:00"})
    store.close()
    result = ktrade("status", "--db", str(db))
    out = result.out.splitlines()
    assert f"bot          running (live, pid {os.getpid()}), since " in result.out
    assert "kill switch  TRIPPED: signal SIGUSR1 (at 2026-01-05 12:00:07 UTC)" in out
    [shown] = [s for s in out if s.startswith("last status")]
    assert re.fullmatch(rf"last status  \([34] s ago\) {re.escape(line)}", shown), shown
    doc = json.loads(ktrade("status", "--db", str(db), "--json").out)
    assert doc["last_status"]["line"] == line
    assert doc["kill_switch"]["reason"] == "signal SIGUSR1"
    assert doc["session"]["mode"] == "live"


def test_status_tells_a_crashed_bot_from_a_stopped_one(
    home: Home, ktrade: Callable[..., Result]
) -> None:
    db = _bot_db(home.root / "bot.sqlite")
    store = OrderStore(db)
    gone = 2**22 + 12345  # above Linux's default pid_max: no such process
    session = {"mode": "paper", "pid": gone, "started": T0.isoformat(), "ended": None}
    store.put("session", session)
    store.close()
    assert f"NOT RUNNING: pid {gone} (paper, started 2026-01-05 12:00:00 UTC)" in (
        ktrade("status", "--db", str(db)).out
    )
    store = OrderStore(db)
    store.put("session", {**session, "ended": (T0 + timedelta(hours=1)).isoformat()})
    store.close()
    out = ktrade("status", "--db", str(db)).out
    assert "bot          stopped (paper), 2026-01-05 13:00:00 UTC" in out


def test_a_flat_pair_shows_no_price_and_json_numbers_are_plain(tmp_path: Path) -> None:
    from src.cli.status_view import as_dict, read_status, render

    db = _bot_db(tmp_path / "paper.sqlite")
    store = OrderStore(db)
    sold = _order("eth-4", OrderStatus.FILLED, filled_quantity=Decimal("0.01"))
    sold = dataclasses.replace(sold, symbol="ETH/USD", side=Side.SELL)
    store.save_order(sold)
    fill = Fill(
        fill_id="T4",
        order_id="O-eth-4",
        client_order_id="eth-4",
        symbol="ETH/USD",
        side=Side.SELL,
        quantity=Decimal("0.01"),
        price=Decimal("2000"),
        fee=Decimal("0.08"),
        fee_currency="USD",
        timestamp=T0 - timedelta(minutes=1),
    )
    flat = PositionState(
        "ETH/USD", Decimal("0E-8"), Decimal("0"), Decimal("-0.5"), Decimal("0.80"), 2
    )
    store.record_fill(fill, sold, flat, {"USD": "618.96", "BTC": "0.01"})  # type: ignore[dict-item]
    store.close()
    status = read_status(db, None)
    lines = "\n".join(render(status, now=T0)).splitlines()
    row = next(line for line in lines if line.strip().startswith("ETH/USD"))
    assert row.split()[1:] == ["0", "-", "2000", "-", "-0.50", "0.80", "2"]
    data = as_dict(status)
    assert data["positions"]["ETH/USD"]["quantity"] == "0.00000000"
    assert "E" not in json.dumps(data, default=str).replace("ETH", "")


def test_times_ahead_of_the_clock_are_not_shown_as_just_now(tmp_path: Path) -> None:
    from src.cli.status_view import read_status, render

    status = read_status(_bot_db(tmp_path / "paper.sqlite"), None)
    behind = "\n".join(render(status, now=T0 - timedelta(days=3)))
    assert "newest 3 days ahead of this machine's clock" in behind
    assert "newest 10 min ago" in "\n".join(render(status, now=T0 + timedelta(minutes=10)))
