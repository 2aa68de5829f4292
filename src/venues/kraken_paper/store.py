"""SQLite persistence of accounts, orders, trades, API keys and nonces (one JSON document each)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, fields
from decimal import Decimal
from pathlib import Path
from typing import Any

from src.venues.kraken_paper.accounts import Account, LedgerEntry
from src.venues.kraken_paper.auth import ApiKey, KeyStore
from src.venues.kraken_paper.matching import Engine
from src.venues.kraken_paper.orders import PaperOrder, PaperTrade

_DECIMAL_FIELDS = {
    f.name for cls in (PaperOrder, PaperTrade, LedgerEntry) for f in fields(cls)
    if "Decimal" in str(f.type)
}  # fmt: skip


def _encode(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, (frozenset, set, tuple)):
        return list(obj)
    raise TypeError(type(obj).__name__)


def _decimals(d: dict[str, Any]) -> dict[str, Any]:
    return {
        k: Decimal(v) if k in _DECIMAL_FIELDS and isinstance(v, str) else v for k, v in d.items()
    }


class Store:
    """Saves and loads the exchange state in one SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._db = sqlite3.connect(self.path)
        self._db.execute("CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, body TEXT)")
        self._db.commit()

    def reset(self) -> None:
        """Forget everything (the CLI's ``--reset``)."""
        self._db.execute("DELETE FROM state")
        self._db.commit()

    def save(self, engine: Engine, keys: KeyStore, extra: dict[str, Any]) -> None:
        """Write the full state in one transaction."""
        docs = {
            "accounts": [
                {"id": a.id, "balances": a.balances, "volume_usd": a.volume_usd,
                 "initial": a.initial, "ledger": [asdict(e) for e in a.ledger]}
                for a in engine.accounts.values()
            ],
            "orders": [asdict(o) for o in engine.orders.values()],
            "trades": [asdict(t) for t in engine.trades.values()],
            "keys": [asdict(k) for k in keys.keys.values()],
            "extra": extra,
        }  # fmt: skip
        with self._db:
            for name, doc in docs.items():
                self._db.execute(
                    "INSERT OR REPLACE INTO state (name, body) VALUES (?, ?)",
                    (name, json.dumps(doc, default=_encode)),
                )

    def load(self, engine: Engine, keys: KeyStore) -> dict[str, Any] | None:
        """Restore state saved by ``save``; None when the file holds none."""
        rows = dict(self._db.execute("SELECT name, body FROM state").fetchall())
        if "accounts" not in rows:
            return None
        for a in json.loads(rows["accounts"]):
            engine.accounts[a["id"]] = Account(
                id=a["id"],
                balances={k: Decimal(v) for k, v in a["balances"].items()},
                ledger=[LedgerEntry(**_decimals(e)) for e in a["ledger"]],
                volume_usd=Decimal(a["volume_usd"]),
                initial={k: Decimal(v) for k, v in a["initial"].items()},
            )
        for o in json.loads(rows.get("orders", "[]")):
            o["oflags"] = tuple(o["oflags"])
            order = PaperOrder(**_decimals(o))
            order.last_change = -1e9  # ages restart old after a restart
            engine.add_order(order)
        for t in json.loads(rows.get("trades", "[]")):
            trade = PaperTrade(**_decimals(t))
            engine.trades[trade.txid] = trade
        for k in json.loads(rows.get("keys", "[]")):
            k["permissions"] = frozenset(k["permissions"])
            keys.keys[k["key"]] = ApiKey(**k)
        extra: dict[str, Any] = json.loads(rows.get("extra", "{}"))
        return extra

    def close(self) -> None:
        """Close the database."""
        self._db.close()
