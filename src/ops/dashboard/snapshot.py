"""One consistent read of a running bot, as plain JSON-ready values (amounts as decimal text)."""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from src.core.runtime import TradingRuntime
from src.ops.audit import AuditKind, AuditLog
from src.ops.dashboard.log_tail import LogTail
from src.ops.dashboard.monitor import Monitor
from src.ops.dashboard.probes import connections, dead_man, risk_gauges
from src.ops.dashboard.settings import is_loopback

RECENT_FILLS = 20


def _s(value: Decimal | None, places: str | None = None) -> str | None:
    if value is None:
        return None
    return format(value.quantize(Decimal(places)) if places else value.normalize(), "f")


def endpoint_of(runtime: TradingRuntime) -> str:
    """Return the venue's REST root if the engine tells it, else the engine's class name."""
    rest = getattr(runtime.engine, "rest", None)
    url = getattr(rest, "base_url", None) or getattr(runtime.engine, "base_url", None)
    return str(url) if url else type(runtime.engine).__name__


def mode_of(endpoint: str, given: str | None) -> str:
    """Return ``given`` (upper case), else PAPER for a loopback or in-process venue, else LIVE."""
    if given:
        return given.upper()
    host = urlsplit(endpoint).hostname if "://" in endpoint else None
    return "PAPER" if host is None or is_loopback(host) else "LIVE"


@dataclass
class View:
    """Everything a snapshot is built from besides the runtime."""

    runtime: TradingRuntime
    monitor: Monitor
    audit: AuditLog
    log_tail: LogTail
    mode: str
    endpoint: str


class FillReader:
    """Reads the newest fills straight from the runtime database (never the whole history).

    Args:
        path: the ``OrderStore`` file; ``":memory:"`` has no second reader, so the store's
            full list is used instead.
    """

    def __init__(self, path: str) -> None:
        self._db: sqlite3.Connection | None = None
        if path != ":memory:":
            uri = f"{Path(path).resolve().as_uri()}?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self._db.row_factory = sqlite3.Row

    def recent(self, runtime: TradingRuntime, count: int) -> list[dict[str, Any]]:
        """Return the newest ``count`` fills, newest first."""
        if self._db is None:
            rows: list[Any] = [f.model_dump() for f in runtime.store.fills()[-count:]][::-1]
        else:
            rows = [
                dict(r)
                for r in self._db.execute(
                    "SELECT * FROM fills ORDER BY timestamp DESC, fill_id DESC LIMIT ?", (count,)
                )
            ]
        return [
            {
                "time": str(r["timestamp"]),
                "symbol": r["symbol"],
                "side": str(getattr(r["side"], "value", r["side"])),
                "quantity": _s(Decimal(str(r["quantity"]))),
                "price": _s(Decimal(str(r["price"]))),
                "fee": _s(Decimal(str(r["fee"]))),
                "fee_currency": r["fee_currency"],
                "order_id": r["order_id"],
            }
            for r in rows
        ]

    def close(self) -> None:
        """Close the read connection."""
        if self._db is not None:
            self._db.close()


def _account(runtime: TradingRuntime) -> dict[str, Any]:
    book = runtime.portfolio
    return {
        "equity": _s(book.equity, "0.01"),
        "net_pnl": _s(book.net_pnl, "0.01"),
        "realized_pnl": _s(book.realized_pnl, "0.01"),
        "unrealized_pnl": _s(book.unrealized_pnl, "0.01"),
        "fees": _s(book.fees, "0.01"),
        "starting_equity": _s(book.starting_equity, "0.01"),
        "fills": book.trades,
    }


def _positions(runtime: TradingRuntime) -> list[dict[str, Any]]:
    book = runtime.portfolio
    out = []
    for symbol, p in sorted(book.positions.items()):
        if p.quantity == 0:
            continue
        mark = book.marks.get(symbol)
        out.append(
            {
                "symbol": symbol,
                "quantity": _s(p.quantity),
                "average_price": _s(p.average_price),
                "mark": _s(mark),
                "value": _s(abs(p.quantity) * (mark or p.average_price), "0.01"),
                "unrealized_pnl": _s(p.unrealized_pnl(mark), "0.01"),
                "realized_pnl": _s(p.realized_pnl, "0.01"),
            }
        )
    return out


def _orders(runtime: TradingRuntime) -> list[dict[str, Any]]:
    return [
        {
            "client_order_id": o.client_order_id,
            "order_id": o.order_id,
            "symbol": o.symbol,
            "side": o.side.value,
            "type": o.order_type.value,
            "quantity": _s(o.quantity),
            "filled": _s(o.filled_quantity),
            "limit_price": _s(o.limit_price),
            "status": o.status.value,
            "created_at": o.created_at.isoformat(),
        }
        for o in sorted(runtime.oms.live.values(), key=lambda o: o.created_at)
    ]


def _foreign_orders(runtime: TradingRuntime) -> int:
    """Open orders on the account the bot did not place, as of the last reconcile."""
    report = runtime.stats.last_reconcile
    return 0 if report is None else len(report.orphans)


def _switches(runtime: TradingRuntime) -> dict[str, Any]:
    switch = runtime.risk.kill_switch
    return {
        "kill_switch": {
            "tripped": switch.tripped,
            "reason": switch.reason,
            "file": None if switch.file_path is None else str(switch.file_path),
        },
        "dead_man": asdict(dead_man(runtime)),
        "paused": runtime.risk.paused,
    }


def snapshot(view: View, fills: FillReader, log_lines: int = 40) -> dict[str, Any]:
    """Return the whole dashboard state as JSON-ready values."""
    runtime = view.runtime
    history = [
        {"at": s.at.isoformat(), "equity": _s(s.equity, "0.01"), "pnl": _s(s.pnl, "0.01")}
        for s in view.monitor.samples
    ]
    operator = view.audit.entries(kind=AuditKind.OPERATOR, limit=10)
    return {
        "now": runtime.clock.now().isoformat(),
        "mode": view.mode,
        "endpoint": view.endpoint,
        "symbols": list(runtime.strategy.symbols),
        "status_line": runtime.status_line(),
        "account": _account(runtime),
        "positions": _positions(runtime),
        "orders": _orders(runtime),
        "foreign_orders": _foreign_orders(runtime),
        "fills": fills.recent(runtime, RECENT_FILLS),
        "risk": [asdict(g) for g in risk_gauges(runtime, view.monitor)],
        "refusals": dict(runtime.risk.refusals),
        **_switches(runtime),
        "health": [asdict(h) for h in connections(runtime, view.monitor)],
        "history": history,
        "log": view.log_tail.tail(log_lines),
        "actions": [
            {
                "at": e.at.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "symbol": e.symbol,
                "outcome": e.outcome,
                "message": e.detail.get("message"),
            }
            for e in reversed(operator)
        ],
    }
