"""SQLite (WAL) persistence of orders, fills, positions and runtime state.

Every write is one transaction: an order is stored before it is sent, and a fill is stored
together with the position and balances it changes, so a crash between the two cannot apply a
fill twice or lose it (``fill_id`` is the primary key).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from src.core.execution import Fill, OrderStatus, OrderType, Side
from src.core.order_state import LIVE_STATUSES, ManagedOrder
from src.core.portfolio import PositionState

_SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    client_order_id TEXT PRIMARY KEY, order_id TEXT, symbol TEXT NOT NULL, side TEXT NOT NULL,
    order_type TEXT NOT NULL, quantity TEXT NOT NULL, limit_price TEXT, reference_price TEXT,
    status TEXT NOT NULL, filled_quantity TEXT NOT NULL, filled_notional TEXT NOT NULL,
    fee TEXT NOT NULL, venue_filled_quantity TEXT NOT NULL, reason TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_status ON orders(status);
CREATE INDEX IF NOT EXISTS orders_order_id ON orders(order_id);
CREATE TABLE IF NOT EXISTS order_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, client_order_id TEXT NOT NULL, status TEXT NOT NULL,
    at TEXT NOT NULL, reason TEXT
);
CREATE TABLE IF NOT EXISTS fills (
    fill_id TEXT PRIMARY KEY, order_id TEXT NOT NULL, client_order_id TEXT, symbol TEXT NOT NULL,
    side TEXT NOT NULL, quantity TEXT NOT NULL, price TEXT NOT NULL, fee TEXT NOT NULL,
    fee_currency TEXT NOT NULL, timestamp TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS fills_timestamp ON fills(timestamp);
CREATE TABLE IF NOT EXISTS positions (
    symbol TEXT PRIMARY KEY, quantity TEXT NOT NULL, average_price TEXT NOT NULL,
    realized_pnl TEXT NOT NULL, fees TEXT NOT NULL, trades INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

_ORDER_COLUMNS = (
    "client_order_id, order_id, symbol, side, order_type, quantity, limit_price, "
    "reference_price, status, filled_quantity, filled_notional, fee, venue_filled_quantity, "
    "reason, created_at, updated_at"
)


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _d(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _order_row(o: ManagedOrder) -> tuple[Any, ...]:
    return (
        o.client_order_id,
        o.order_id,
        o.symbol,
        o.side.value,
        o.order_type.value,
        str(o.quantity),
        _s(o.limit_price),
        _s(o.reference_price),
        o.status.value,
        str(o.filled_quantity),
        str(o.filled_notional),
        str(o.fee),
        str(o.venue_filled_quantity),
        o.reason,
        o.created_at.isoformat(),
        o.updated_at.isoformat(),
    )


def _order_from_row(r: sqlite3.Row) -> ManagedOrder:
    return ManagedOrder(
        client_order_id=r["client_order_id"],
        order_id=r["order_id"],
        symbol=r["symbol"],
        side=Side(r["side"]),
        order_type=OrderType(r["order_type"]),
        quantity=Decimal(r["quantity"]),
        limit_price=_d(r["limit_price"]),
        reference_price=_d(r["reference_price"]),
        status=OrderStatus(r["status"]),
        filled_quantity=Decimal(r["filled_quantity"]),
        filled_notional=Decimal(r["filled_notional"]),
        fee=Decimal(r["fee"]),
        venue_filled_quantity=Decimal(r["venue_filled_quantity"]),
        reason=r["reason"],
        created_at=datetime.fromisoformat(r["created_at"]),
        updated_at=datetime.fromisoformat(r["updated_at"]),
    )


class OrderStore:
    """The runtime's database. One file; WAL so the status reader never blocks the writer.

    Args:
        path: database file (created if missing); ``":memory:"`` for tests.
        synchronous: SQLite ``synchronous`` pragma. ``NORMAL`` (default) survives a process
            crash (kill -9) in WAL mode; ``FULL`` also survives power loss, at an fsync per order.
        max_pending_writes: transactions after which a write checkpoints the WAL itself. The
            runtime calls ``checkpoint()`` from its timers instead, because SQLite's automatic
            checkpoint (an fsync of the database) would land inside an order's hot path.
    """

    def __init__(
        self, path: Path | str, synchronous: str = "NORMAL", max_pending_writes: int = 5000
    ) -> None:
        if synchronous.upper() not in ("NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"synchronous: expected NORMAL, FULL or EXTRA, got {synchronous!r}")
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = str(path)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={synchronous.upper()}")
        self._db.execute("PRAGMA wal_autocheckpoint=0")
        self._db.executescript(_SCHEMA)
        self.max_pending_writes = max_pending_writes
        self._writes = 0

    def checkpoint(self) -> None:
        """Copy the WAL into the database file (call off the order path, e.g. on a timer)."""
        self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")
        self._writes = 0

    def close(self) -> None:
        """Checkpoint the WAL and close the connection; the store is unusable afterwards."""
        self.checkpoint()
        self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        self._writes += 1
        if self._writes >= self.max_pending_writes:  # nobody is calling checkpoint(): do it
            self.checkpoint()

    def _write_order(self, db: sqlite3.Connection, order: ManagedOrder) -> None:
        marks = ", ".join("?" * 16)
        db.execute(
            f"INSERT OR REPLACE INTO orders ({_ORDER_COLUMNS}) VALUES ({marks})", _order_row(order)
        )
        db.execute(
            "INSERT INTO order_events (client_order_id, status, at, reason) VALUES (?, ?, ?, ?)",
            (order.client_order_id, order.status.value, order.updated_at.isoformat(), order.reason),
        )

    def save_order(self, order: ManagedOrder) -> None:
        """Insert or update one order (and append to its event trail), durably."""
        with self._tx() as db:
            self._write_order(db, order)

    def get_order(self, client_order_id: str) -> ManagedOrder | None:
        """Return the stored order with this client order id, or None if there is none."""
        row = self._db.execute(
            "SELECT * FROM orders WHERE client_order_id = ?", (client_order_id,)
        ).fetchone()
        return None if row is None else _order_from_row(row)

    def orders(self, live_only: bool = False) -> list[ManagedOrder]:
        """All orders (oldest first), or only those that may still trade."""
        if live_only:
            marks = ", ".join("?" * len(LIVE_STATUSES))
            rows = self._db.execute(
                f"SELECT * FROM orders WHERE status IN ({marks}) ORDER BY created_at",
                [s.value for s in LIVE_STATUSES],
            ).fetchall()
        else:
            rows = self._db.execute("SELECT * FROM orders ORDER BY created_at").fetchall()
        return [_order_from_row(r) for r in rows]

    def unsettled_orders(self) -> list[ManagedOrder]:
        """Orders that may still trade or may still be owed fills (oldest first).

        A superset: a settled order is skipped only when its stored quantities are equal as
        text, so the caller still decides with Decimals. Read once at start, never per candle.
        """
        marks = ", ".join("?" * len(LIVE_STATUSES))
        rows = self._db.execute(
            f"SELECT * FROM orders WHERE status IN ({marks})"
            " OR (status = ? AND filled_quantity != quantity)"
            " OR (status IN (?, ?) AND filled_quantity != venue_filled_quantity)"
            " ORDER BY created_at",
            [s.value for s in LIVE_STATUSES]
            + [OrderStatus.FILLED.value, OrderStatus.CANCELED.value, OrderStatus.EXPIRED.value],
        ).fetchall()
        return [_order_from_row(r) for r in rows]

    def order_events(self, client_order_id: str) -> list[str]:
        """Return the statuses this order has been saved in, oldest first (its audit trail)."""
        rows = self._db.execute(
            "SELECT status FROM order_events WHERE client_order_id = ? ORDER BY id",
            (client_order_id,),
        ).fetchall()
        return [r["status"] for r in rows]

    def find_by_order_id(self, order_id: str) -> ManagedOrder | None:
        """Return the order the venue knows as ``order_id``, or None if none is stored."""
        row = self._db.execute("SELECT * FROM orders WHERE order_id = ?", (order_id,)).fetchone()
        return None if row is None else _order_from_row(row)

    def newest_fill_time(self) -> datetime | None:
        """Timestamp of the newest stored fill (an index lookup), or None without fills."""
        row = self._db.execute("SELECT MAX(timestamp) AS t FROM fills").fetchone()
        return None if row["t"] is None else datetime.fromisoformat(row["t"])

    def set_trace(self, callback: Callable[[str], object] | None) -> None:
        """Call ``callback(sql)`` for every statement run (diagnostics; None turns it off)."""
        self._db.set_trace_callback(callback)

    def has_fill(self, fill_id: str) -> bool:
        """Return True if a fill with this ``fill_id`` has already been recorded."""
        row = self._db.execute("SELECT 1 FROM fills WHERE fill_id = ?", (fill_id,)).fetchone()
        return row is not None

    def record_fill(
        self,
        fill: Fill,
        order: ManagedOrder | None,
        position: PositionState,
        balances: Mapping[str, Decimal],
    ) -> bool:
        """Store a fill with the order, position and balances it changes, atomically.

        Returns False (and writes nothing) if this ``fill_id`` was already recorded.
        """
        with self._tx() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO fills VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    fill.fill_id,
                    fill.order_id,
                    fill.client_order_id,
                    fill.symbol,
                    fill.side.value,
                    str(fill.quantity),
                    str(fill.price),
                    str(fill.fee),
                    fill.fee_currency,
                    fill.timestamp.isoformat(),
                ),
            )
            if cursor.rowcount == 0:
                return False
            if order is not None:
                self._write_order(db, order)
            db.execute(
                "INSERT OR REPLACE INTO positions VALUES (?, ?, ?, ?, ?, ?)",
                (
                    position.symbol,
                    str(position.quantity),
                    str(position.average_price),
                    str(position.realized_pnl),
                    str(position.fees),
                    position.trades,
                ),
            )
            self._put(db, "expected_balances", {k: str(v) for k, v in balances.items()})
        return True

    def fills(self) -> list[Fill]:
        """Return every recorded fill, oldest first (ties broken by ``fill_id``)."""
        rows = self._db.execute("SELECT * FROM fills ORDER BY timestamp, fill_id").fetchall()
        return [
            Fill(
                fill_id=r["fill_id"],
                order_id=r["order_id"],
                client_order_id=r["client_order_id"],
                symbol=r["symbol"],
                side=Side(r["side"]),
                quantity=Decimal(r["quantity"]),
                price=Decimal(r["price"]),
                fee=Decimal(r["fee"]),
                fee_currency=r["fee_currency"],
                timestamp=datetime.fromisoformat(r["timestamp"]),
            )
            for r in rows
        ]

    def positions(self) -> dict[str, PositionState]:
        """Return the stored position of every symbol that has traded, keyed by symbol."""
        rows = self._db.execute("SELECT * FROM positions").fetchall()
        return {
            r["symbol"]: PositionState(
                symbol=r["symbol"],
                quantity=Decimal(r["quantity"]),
                average_price=Decimal(r["average_price"]),
                realized_pnl=Decimal(r["realized_pnl"]),
                fees=Decimal(r["fees"]),
                trades=int(r["trades"]),
            )
            for r in rows
        }

    def _put(self, db: sqlite3.Connection, key: str, value: Any) -> None:
        db.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", (key, json.dumps(value)))

    def put(self, key: str, value: Any) -> None:
        """Store a JSON-serializable value under ``key``."""
        with self._tx() as db:
            self._put(db, key, value)

    def get(self, key: str, default: Any = None) -> Any:
        """Return the JSON value stored under ``key``, or ``default`` if the key is absent."""
        row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row["value"])
