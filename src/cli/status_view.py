"""``ktrade status``: what a bot is doing, read from its runtime database (never the exchange).

The database is the runtime's ``OrderStore`` (SQLite in WAL mode, so reading it while the bot
writes blocks neither). Prices are not stored, so open positions are marked at their last
fill's price and the output says so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from src.cli.table import cell, table
from src.core.execution import Fill
from src.core.order_state import ManagedOrder
from src.core.order_store import OrderStore
from src.core.portfolio import PositionState

ZERO = Decimal(0)


@dataclass
class BotStatus:
    """Everything ``status`` shows, read from one database."""

    path: Path
    modified: datetime
    positions: dict[str, PositionState]
    open_orders: list[ManagedOrder]
    fills: list[Fill]
    marks: dict[str, Decimal]
    balance_changes: dict[str, Decimal]
    risk_state: dict[str, Any]
    kill: dict[str, Any] | None
    kill_file: Path | None
    last_status: dict[str, Any] | None
    unknown_orders: list[ManagedOrder] = field(default_factory=list)
    session: dict[str, Any] | None = None

    @property
    def realized(self) -> Decimal:
        """Realized PnL over every pair (quote currency)."""
        return sum((p.realized_pnl for p in self.positions.values()), ZERO)

    @property
    def fees(self) -> Decimal:
        """Fees paid over every pair."""
        return sum((p.fees for p in self.positions.values()), ZERO)

    @property
    def unrealized(self) -> Decimal:
        """Open positions' PnL at their last fill price (prices are not stored)."""
        return sum((p.unrealized_pnl(self.marks.get(s)) for s, p in self.positions.items()), ZERO)

    def kill_line(self) -> str:
        """The kill switch, as far as the database and the kill file tell."""
        if self.kill:
            return f"TRIPPED: {self.kill.get('reason')} (at {_when(self.kill.get('at'))})"
        if self.kill_file is not None and self.kill_file.exists():
            return f"kill file {self.kill_file} is PRESENT: the bot trips it on its next step"
        where = f"; touch {self.kill_file} to trip it" if self.kill_file else ""
        return f"not tripped (as recorded){where}"


def read_status(path: Path, kill_file: Path | None) -> BotStatus:
    """Read ``path`` (an existing runtime database)."""
    store = OrderStore(path)
    try:
        fills = store.fills()
        marks: dict[str, Decimal] = {}
        for fill in fills:  # oldest first: the last one per pair wins
            marks[fill.symbol] = fill.price
        baseline = {k: Decimal(v) for k, v in (store.get("baseline_balances") or {}).items()}
        expected = {k: Decimal(v) for k, v in (store.get("expected_balances") or {}).items()}
        changes = {
            asset: expected.get(asset, ZERO) - baseline.get(asset, ZERO)
            for asset in sorted(set(baseline) | set(expected))
            if expected.get(asset, ZERO) != baseline.get(asset, ZERO)
        }
        live = store.orders(live_only=True)
        wal = path.with_name(path.name + "-wal")
        stamp = max(p.stat().st_mtime for p in (path, wal) if p.exists())
        return BotStatus(
            path=path,
            modified=datetime.fromtimestamp(stamp, UTC),
            positions=store.positions(),
            open_orders=[o for o in live if o.status.value != "unknown"],
            unknown_orders=[o for o in live if o.status.value == "unknown"],
            fills=fills,
            marks=marks,
            balance_changes=changes,
            risk_state=store.get("risk_state") or {},
            kill=store.get("kill_switch"),
            kill_file=kill_file,
            last_status=_status_record(store.get("status_line")),
            session=store.get("session"),
        )
    finally:
        store.close()


def _status_record(raw: Any) -> dict[str, Any] | None:
    """The session's last status line as ``{"line", "at"}`` (a bare string: no time known)."""
    if isinstance(raw, str):
        return {"line": raw, "at": None}
    return raw if isinstance(raw, dict) and raw.get("line") else None


def _parse(stamp: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(stamp))
    except ValueError:
        return None


def _when(stamp: Any) -> str:
    """An ISO time as ``YYYY-MM-DD HH:MM:SS UTC``; anything else as it is."""
    at = _parse(stamp)
    if at is None or at.tzinfo is None:
        return str(stamp) if stamp else "?"
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def _alive(pid: Any) -> bool | None:
    """Whether process ``pid`` exists on this machine (None: cannot tell)."""
    if not isinstance(pid, int) or pid <= 0:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return None  # another user's process, or a platform without signal 0
    return True


def session_line(session: dict[str, Any] | None) -> str | None:
    """Whether the bot that writes the database runs, as far as its session record tells."""
    if not session:
        return None
    mode, pid = session.get("mode", "?"), session.get("pid")
    started = _when(session.get("started"))
    if session.get("ended"):
        return f"stopped ({mode}), {_when(session['ended'])}; it had started {started}"
    if _alive(pid) is False:
        return f"NOT RUNNING: pid {pid} ({mode}, started {started}) is gone without a clean stop"
    return f"running ({mode}, pid {pid}), since {started}"


def _span(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def _ago(then: datetime, now: datetime) -> str:
    """``5 min ago``; a time ahead of ours (a paper exchange on a fast clock) says so."""
    seconds = int((now - then).total_seconds())
    if seconds < -5:  # a few seconds of skew between two hosts is not worth a word
        return f"{_span(-seconds)} ahead of this machine's clock"
    return f"{_span(max(0, seconds))} ago"


def _plain(value: Decimal) -> str:
    """A Decimal as a plain number for JSON readers (``0E-8`` -> ``0.00000000``)."""
    return f"{value:f}"


def render(status: BotStatus, *, recent_fills: int = 5, now: datetime | None = None) -> list[str]:
    """The status as lines for a terminal."""
    now = now or datetime.now(UTC)
    held = [p for p in status.positions.values() if p.quantity]
    lines = [f"database     {status.path} (last write {_ago(status.modified, now)})"]
    bot = session_line(status.session)
    if bot:
        lines.append(f"bot          {bot}")
    lines.append(f"kill switch  {status.kill_line()}")
    if status.last_status:
        at = _parse(status.last_status.get("at"))
        when = f"({_ago(at, now)}) " if at is not None and at.tzinfo is not None else ""
        lines.append(f"last status  {when}{status.last_status['line']}")
    lines += ["", f"positions ({len(held)} open)"]
    lines.append(
        table(
            [
                "pair",
                "quantity",
                "avg price",
                "last fill",
                "unrealized",
                "realized",
                "fees",
                "fills",
            ],
            [
                [  # a flat pair keeps its realized PnL and fees; it has no price or PnL open
                    p.symbol,
                    p.quantity if p.quantity else 0,
                    p.average_price if p.quantity else "-",
                    status.marks.get(p.symbol),
                    cell(p.unrealized_pnl(status.marks.get(p.symbol)), 2) if p.quantity else "-",
                    cell(p.realized_pnl, 2),
                    cell(p.fees, 2),
                    p.trades,
                ]
                for p in sorted(status.positions.values(), key=lambda p: p.symbol)
            ],
        )
    )
    lines += ["", f"open orders ({len(status.open_orders)})"]
    lines.append(
        table(
            [
                "client order id",
                "pair",
                "side",
                "type",
                "quantity",
                "filled",
                "limit",
                "status",
                "age",
            ],
            [
                [
                    o.client_order_id,
                    o.symbol,
                    o.side.value,
                    o.order_type.value,
                    o.quantity,
                    o.filled_quantity,
                    o.limit_price,
                    o.status.value,
                    _ago(o.created_at, now),
                ]
                for o in status.open_orders
            ],
        )
    )
    if status.unknown_orders:
        lines.append(
            f"  !! {len(status.unknown_orders)} order(s) with an UNKNOWN outcome block their pair "
            "until the exchange answers: "
            + ", ".join(o.client_order_id for o in status.unknown_orders)
        )
    net = status.realized + status.unrealized - status.fees
    lines += [
        "",
        f"PnL          realized {cell(status.realized, 2)}, unrealized {cell(status.unrealized, 2)}"
        f" (at last fill prices), fees {cell(status.fees, 2)}, net {cell(net, 2)}",
    ]
    if status.balance_changes:
        shown = ", ".join(f"{a} {v:+f}" for a, v in status.balance_changes.items())
        lines.append(f"balances     change since the bot's start: {shown}")
    risk = status.risk_state
    if risk.get("peak") not in (None, "None"):
        lines.append(
            f"risk         equity peak {cell(Decimal(risk['peak']), 2)}, day {risk.get('day')} "
            f"started at {cell(Decimal(risk['day_start']), 2)}"
        )
    if status.fills:
        last = status.fills[-1]
        lines += [
            "",
            f"last fills ({len(status.fills)} in all, newest {_ago(last.timestamp, now)})",
        ]
        lines.append(
            table(
                ["time", "pair", "side", "quantity", "price", "fee"],
                [
                    [
                        f"{f.timestamp:%Y-%m-%d %H:%M:%S}",
                        f.symbol,
                        f.side.value,
                        f.quantity,
                        f.price,
                        f.fee,
                    ]
                    for f in status.fills[-recent_fills:]
                ],
            )
        )
    return lines


def as_dict(status: BotStatus) -> dict[str, Any]:
    """The status as JSON-ready data (``status --json``)."""
    return {
        "database": str(status.path),
        "modified": status.modified.isoformat(),
        "session": status.session,
        "last_status": status.last_status,
        "kill_switch": status.kill,
        "kill_file_present": bool(status.kill_file and status.kill_file.exists()),
        "positions": {
            s: {
                "quantity": _plain(p.quantity),
                "average_price": _plain(p.average_price),
                "realized_pnl": _plain(p.realized_pnl),
                "fees": _plain(p.fees),
                "fills": p.trades,
            }
            for s, p in status.positions.items()
        },
        "open_orders": [
            {
                "client_order_id": o.client_order_id,
                "order_id": o.order_id,
                "symbol": o.symbol,
                "side": o.side.value,
                "quantity": _plain(o.quantity),
                "status": o.status.value,
                "filled": _plain(o.filled_quantity),
            }
            for o in status.open_orders + status.unknown_orders
        ],
        "pnl": {
            "realized": _plain(status.realized),
            "unrealized_at_last_fill": _plain(status.unrealized),
            "fees": _plain(status.fees),
        },
        "balance_changes": {a: _plain(v) for a, v in status.balance_changes.items()},
        "fills": len(status.fills),
        "risk_state": status.risk_state,
    }
