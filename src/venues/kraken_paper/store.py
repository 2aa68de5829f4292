"""SQLite persistence of the exchange: one row per account, ledger entry, order, trade and key.

Writes are incremental: ``commit`` upserts only the rows ``Engine.changes`` names, plus the
keys and ``meta`` values (dead man's switch, market position, clock) whose JSON differs from
what was last written, in one transaction. The cost of an order is therefore independent of
how many orders came before it.

The file runs in WAL mode with ``synchronous=NORMAL``: a committed transaction is in the OS
before ``commit`` returns, so it survives ``kill -9`` of the process (not a power cut, which
would need ``FULL``). The exchange commits before it answers, so an acknowledged change is
never lost with the process.

Files written by the earlier format (a ``state`` table of one JSON document per kind) are
converted to this one the first time they are opened.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable
from dataclasses import asdict, fields
from decimal import Decimal
from pathlib import Path
from typing import Any

from src.venues.kraken_paper.accounts import Account, LedgerEntry
from src.venues.kraken_paper.auth import ApiKey, KeyStore
from src.venues.kraken_paper.matching import Changes, Engine
from src.venues.kraken_paper.orders import PaperOrder, PaperTrade

log = logging.getLogger(__name__)
SCHEMA_VERSION = 2
_DECIMAL_FIELDS = {
    f.name for cls in (PaperOrder, PaperTrade, LedgerEntry) for f in fields(cls)
    if "Decimal" in str(f.type)
}  # fmt: skip
_TABLES = ("meta", "accounts", "ledger", "orders", "trades", "api_keys")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ledger (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, account_id TEXT NOT NULL, body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (seq INTEGER PRIMARY KEY, txid TEXT NOT NULL UNIQUE,
                                   body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS trades (seq INTEGER PRIMARY KEY, txid TEXT NOT NULL UNIQUE,
                                   body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (key TEXT PRIMARY KEY, body TEXT NOT NULL);
"""
# ``seq`` keeps insertion order, and an upsert keeps a row's ``seq``: orders load oldest first.
_UPSERT = {
    "orders": "INSERT INTO orders (txid, body) VALUES (?, ?) "
    "ON CONFLICT(txid) DO UPDATE SET body = excluded.body",
    "trades": "INSERT INTO trades (txid, body) VALUES (?, ?) "
    "ON CONFLICT(txid) DO UPDATE SET body = excluded.body",
    "accounts": "INSERT INTO accounts (id, body) VALUES (?, ?) "
    "ON CONFLICT(id) DO UPDATE SET body = excluded.body",
    "api_keys": "INSERT INTO api_keys (key, body) VALUES (?, ?) "
    "ON CONFLICT(key) DO UPDATE SET body = excluded.body",
    "meta": "INSERT INTO meta (name, body) VALUES (?, ?) "
    "ON CONFLICT(name) DO UPDATE SET body = excluded.body",
}


class StoreError(RuntimeError):
    """The state file cannot be read; the message says how to start afresh."""


def _encode(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, (frozenset, set, tuple)):
        return sorted(obj) if isinstance(obj, (frozenset, set)) else list(obj)
    raise TypeError(type(obj).__name__)


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_encode, separators=(",", ":"))


def _decimals(d: dict[str, Any]) -> dict[str, Any]:
    return {
        k: Decimal(v) if k in _DECIMAL_FIELDS and isinstance(v, str) else v for k, v in d.items()
    }


def _account_body(a: Account) -> str:
    return _dumps({"balances": a.balances, "volume_usd": a.volume_usd, "initial": a.initial})


def _account(account_id: str, body: dict[str, Any], ledger: list[LedgerEntry]) -> Account:
    return Account(
        id=account_id,
        balances={k: Decimal(v) for k, v in body["balances"].items()},
        ledger=ledger,
        volume_usd=Decimal(body["volume_usd"]),
        initial={k: Decimal(v) for k, v in body["initial"].items()},
    )


def _order(body: dict[str, Any]) -> PaperOrder:
    body["oflags"] = tuple(body["oflags"])
    order = PaperOrder(**_decimals(body))
    order.last_change = -1e9  # ages restart old after a restart
    return order


def _key(body: dict[str, Any]) -> ApiKey:
    body["permissions"] = frozenset(body["permissions"])
    return ApiKey(**body)


class Store:
    """Saves and loads the exchange state in one SQLite file, row by row.

    Args:
        path: The SQLite file (created if missing).
        reset: Wipe it first (whatever it holds, a newer schema included).

    Raises:
        StoreError: The file holds a newer schema than this code knows.
    """

    def __init__(self, path: str | Path, reset: bool = False) -> None:
        self.path = str(path)
        self._db = sqlite3.connect(self.path)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        # The JSON last written per meta name and per key: only a difference is written.
        self._meta: dict[str, str] = dict(self._db.execute("SELECT name, body FROM meta"))
        self._keys: dict[str, str] = dict(self._db.execute("SELECT key, body FROM api_keys"))
        if reset:
            self.reset()
        version = int(json.loads(self._meta.get("schema", str(SCHEMA_VERSION))))
        if version > SCHEMA_VERSION:
            self._db.close()
            raise StoreError(
                f"{self.path}: state schema {version} is newer than this exchange's "
                f"({SCHEMA_VERSION}); use a newer version or start with --reset"
            )

    @property
    def connection(self) -> sqlite3.Connection:
        """The SQLite connection (for diagnostics, e.g. a trace callback)."""
        return self._db

    def put_meta(self, name: str, value: Any) -> None:
        """Commit one meta value now, on its own (the clock's lease, written mid-request)."""
        body = _dumps(value)
        if self._meta.get(name) != body:
            with self._db:
                self._db.execute(_UPSERT["meta"], (name, body))
            self._meta[name] = body

    def meta(self, name: str) -> Any:
        """The last committed value of a meta entry (None if never written)."""
        body = self._meta.get(name)
        return None if body is None else json.loads(body)

    def reset(self) -> None:
        """Forget everything (the CLI's ``--reset``), the old format included."""
        with self._db:
            for table in _TABLES:
                self._db.execute(f"DELETE FROM {table}")  # fixed names, not input
            self._db.execute("DROP TABLE IF EXISTS state")
        self._meta.clear()
        self._keys.clear()

    def commit(self, changes: Changes, keys: KeyStore, meta: dict[str, Any]) -> bool:
        """Write what changed in one transaction; True if anything was written.

        ``changes`` is left as it is: the caller clears it once this returns, so a failed
        write is retried with the next commit.
        """
        key_rows = [(k.key, _dumps(asdict(k))) for k in keys.keys.values()]
        key_rows = [(k, body) for k, body in key_rows if self._keys.get(k) != body]
        meta_rows = [(name, _dumps(value)) for name, value in meta.items()]
        meta_rows = [(n, body) for n, body in meta_rows if self._meta.get(n) != body]
        if not (changes or key_rows or meta_rows):
            return False
        with self._db:
            self._write(changes, key_rows, meta_rows)
        self._keys.update(key_rows)
        self._meta.update(meta_rows)
        return True

    def _write(
        self, changes: Changes, key_rows: list[tuple[str, str]], meta_rows: list[tuple[str, str]]
    ) -> None:
        db = self._db
        if changes.accounts:
            rows = [(a.id, _account_body(a)) for a in changes.accounts.values()]
            db.executemany(_UPSERT["accounts"], rows)
        if changes.ledger:
            db.executemany(
                "INSERT INTO ledger (id, account_id, body) VALUES (?, ?, ?) "
                "ON CONFLICT(id) DO NOTHING",  # entries never change once posted
                [(e.id, account_id, _dumps(asdict(e))) for account_id, e in changes.ledger],
            )
        if changes.orders:
            rows = [(o.txid, _dumps(asdict(o))) for o in changes.orders.values()]
            db.executemany(_UPSERT["orders"], rows)
        if changes.trades:
            rows = [(t.txid, _dumps(asdict(t))) for t in changes.trades.values()]
            db.executemany(_UPSERT["trades"], rows)
        if key_rows:
            db.executemany(_UPSERT["api_keys"], key_rows)
        if meta_rows:
            db.executemany(_UPSERT["meta"], meta_rows)

    def load(self, engine: Engine, keys: KeyStore) -> dict[str, Any] | None:
        """Restore the saved rows into ``engine`` and ``keys``; the meta values, or None if empty.

        Raises:
            StoreError: An old-format file could not be converted.
        """
        if self._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'state'").fetchone():
            return self._convert_old(engine, keys)
        if not self._db.execute("SELECT 1 FROM accounts LIMIT 1").fetchone():
            return None
        ledgers: dict[str, list[LedgerEntry]] = {}
        rows = self._db.execute("SELECT account_id, body FROM ledger ORDER BY seq")
        for account_id, body in rows:
            ledgers.setdefault(account_id, []).append(LedgerEntry(**_decimals(json.loads(body))))
        for account_id, body in self._db.execute("SELECT id, body FROM accounts"):
            engine.accounts[account_id] = _account(
                account_id, json.loads(body), ledgers.get(account_id, [])
            )
        for (body,) in self._db.execute("SELECT body FROM orders ORDER BY seq"):
            engine.add_order(_order(json.loads(body)))
        for (body,) in self._db.execute("SELECT body FROM trades ORDER BY seq"):
            trade = PaperTrade(**_decimals(json.loads(body)))
            engine.trades[trade.txid] = trade
        for body in self._keys.values():
            key = _key(json.loads(body))
            keys.keys[key.key] = key
        return {name: json.loads(body) for name, body in self._meta.items()}

    def _convert_old(self, engine: Engine, keys: KeyStore) -> dict[str, Any] | None:
        """Load a file of the old one-document-per-kind format and rewrite it row by row."""
        docs = dict(self._db.execute("SELECT name, body FROM state"))
        if "accounts" not in docs:
            with self._db:
                self._db.execute("DROP TABLE state")
            return None
        try:
            extra = _load_old(docs, engine, keys)
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise StoreError(
                f"{self.path}: cannot convert the old-format state ({exc!r}); "
                "start with --reset to wipe it"
            ) from exc
        changes = Changes(
            orders=dict(engine.orders), trades=dict(engine.trades), accounts=dict(engine.accounts),
            ledger=[(a.id, e) for a in engine.accounts.values() for e in a.ledger],
        )  # fmt: skip
        meta = {"schema": SCHEMA_VERSION, "dead_man": extra.get("dead_man", {})}
        key_rows = [(k.key, _dumps(asdict(k))) for k in keys.keys.values()]
        meta_rows = [(n, _dumps(v)) for n, v in meta.items()]
        with self._db:  # all or nothing: a crash here leaves the old file as it was
            self._write(changes, key_rows, meta_rows)
            self._db.execute("DROP TABLE state")
        self._keys.update(key_rows)
        self._meta.update(meta_rows)
        log.info("%s: converted old-format state (%d orders)", self.path, len(engine.orders))
        return dict(meta)

    def close(self) -> None:
        """Close the database."""
        self._db.close()


def _load_old(docs: dict[str, str], engine: Engine, keys: KeyStore) -> dict[str, Any]:
    """Fill ``engine`` and ``keys`` from the old format's documents; returns its ``extra``."""
    for a in json.loads(docs["accounts"]):
        ledger = [LedgerEntry(**_decimals(e)) for e in a["ledger"]]
        engine.accounts[a["id"]] = _account(a["id"], a, ledger)
    for o in _rows(docs, "orders"):
        engine.add_order(_order(o))
    for t in _rows(docs, "trades"):
        trade = PaperTrade(**_decimals(t))
        engine.trades[trade.txid] = trade
    for k in _rows(docs, "keys"):
        key = _key(k)
        keys.keys[key.key] = key
    extra: dict[str, Any] = json.loads(docs.get("extra", "{}"))
    return extra


def _rows(docs: dict[str, str], name: str) -> Iterable[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(docs.get(name, "[]"))
    return rows


__all__ = ["SCHEMA_VERSION", "Store", "StoreError"]
