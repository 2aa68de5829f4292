"""The audit log: an append-only table of operator actions, config changes and order decisions.

It lives in the runtime's SQLite database (the ``OrderStore`` file), on a connection of its
own, so ``ktrade status`` or an auditor can read one file. Triggers refuse ``UPDATE`` and
``DELETE`` on the table: a row, once written, stays as written.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from src.core.execution import utc_now
from src.core.risk import Refusal
from src.core.sizing import OrderIntent

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, kind TEXT NOT NULL,
    actor TEXT NOT NULL, action TEXT NOT NULL, symbol TEXT, outcome TEXT NOT NULL,
    reason TEXT, detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_kind ON audit_log(kind, id);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
"""


class AuditKind(StrEnum):
    """What an audit row records."""

    OPERATOR = "operator"
    CONFIG = "config"
    DECISION = "decision"


@dataclass(frozen=True)
class AuditEntry:
    """One row of the audit log.

    Attributes:
        id: the row's position in the log (ascending, never reused).
        at: when it was written (UTC).
        kind: operator action, config change or order decision.
        actor: who: an operator (``alice (dashboard, 127.0.0.1)``), ``cli``, or ``risk``.
        action: what: ``pause``, ``cancel_all``, ``reload_risk``, ``allowed``, ``refused``...
        symbol: the pair concerned, if any.
        outcome: ``ok``, ``failed``, ``allowed`` or ``refused``.
        reason: why (an operator's note, a refusal's code and message, an order's reason).
        detail: the rest as JSON-compatible values (quantities as decimal strings).
    """

    id: int
    at: datetime
    kind: AuditKind
    actor: str
    action: str
    symbol: str | None
    outcome: str
    reason: str | None
    detail: dict[str, Any]


class AuditLog:
    """Writes and reads the ``audit_log`` table of one runtime database.

    Args:
        path: the runtime database (``OrderStore.path``). ``":memory:"`` gives a private
            in-memory table (tests), since a second connection cannot see another's memory.
        clock: the time stamped on each row (default: UTC wall time).
    """

    def __init__(self, path: Path | str, clock: Callable[[], datetime] | None = None) -> None:
        self.path = str(path)
        self._now = clock or utc_now
        # One writer at a time in SQLite: wait for the store's transaction rather than fail.
        self._db = sqlite3.connect(
            self.path, isolation_level=None, timeout=5.0, check_same_thread=False
        )
        self._db.row_factory = sqlite3.Row
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        # As the OrderStore does: no automatic checkpoint (an fsync) inside an order's path;
        # the runtime's reconcile timer checkpoints the shared WAL.
        self._db.execute("PRAGMA wal_autocheckpoint=0")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the connection (the rows stay in the database)."""
        self._db.close()

    def record(
        self,
        kind: AuditKind,
        actor: str,
        action: str,
        *,
        outcome: str = "ok",
        symbol: str | None = None,
        reason: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> int:
        """Append one row, durably; return its id."""
        cursor = self._db.execute(
            "INSERT INTO audit_log (at, kind, actor, action, symbol, outcome, reason, detail)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self._now().isoformat(),
                kind.value,
                actor,
                action,
                symbol,
                outcome,
                reason,
                json.dumps(dict(detail or {}), default=str, sort_keys=True),
            ),
        )
        return int(cursor.lastrowid or 0)

    def decision(self, intent: OrderIntent, refusal: Refusal | None) -> None:
        """Record one risk decision: a ``RiskManager`` decision listener."""
        self.record(
            AuditKind.DECISION,
            "risk",
            "refused" if refusal else "allowed",
            outcome="refused" if refusal else "allowed",
            symbol=intent.symbol,
            reason=f"{refusal.code}: {refusal.message}" if refusal else intent.reason,
            detail={
                "side": intent.side.value,
                "quantity": str(intent.quantity),
                "price": str(intent.price),
                "order_type": intent.order_type.value,
                "limit_price": None if intent.limit_price is None else str(intent.limit_price),
                "intent_reason": intent.reason,
            },
        )

    def entries(
        self, *, kind: AuditKind | None = None, limit: int = 100, after_id: int = 0
    ) -> list[AuditEntry]:
        """Return the newest ``limit`` rows (of ``kind``, newer than ``after_id``), oldest first."""
        where = "WHERE id > ?"
        args: list[object] = [after_id]
        if kind is not None:
            where += " AND kind = ?"
            args.append(kind.value)
        rows = self._db.execute(
            f"SELECT * FROM audit_log {where} ORDER BY id DESC LIMIT ?", [*args, limit]
        ).fetchall()
        return [_entry(r) for r in reversed(rows)]


def _entry(row: sqlite3.Row) -> AuditEntry:
    return AuditEntry(
        id=int(row["id"]),
        at=datetime.fromisoformat(row["at"]),
        kind=AuditKind(row["kind"]),
        actor=row["actor"],
        action=row["action"],
        symbol=row["symbol"],
        outcome=row["outcome"],
        reason=row["reason"],
        detail=json.loads(row["detail"]),
    )
