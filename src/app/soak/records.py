"""Both sides' records for the audit: the exchange's (raw REST replies) and the runtime's DB.

The exchange side is read with its own read-only API key, straight from the exchange (not
through the fault proxy), and parsed here from Kraken's raw reply shapes, not by the adapter's
parsers the runtime uses: a parsing bug cannot hide on both sides.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from src.brokers.kraken.rest.client import KrakenRestClient
from src.core.execution import Fill, Side
from src.core.order_state import ManagedOrder
from src.core.order_store import OrderStore
from src.core.portfolio import PositionState

PAGE = 50
#: Kraken spells a few assets its own way; the runtime uses the common names.
_ALIASES = {"XBT": "BTC", "XDG": "DOGE"}


def common_asset(name: str) -> str:
    """Kraken's asset spellings to the common ones: ``XXBT``/``XBT`` -> BTC, ``ZUSD`` -> USD."""
    if len(name) == 4 and name[0] in "XZ":
        name = name[1:]
    return _ALIASES.get(name, name)


@dataclass(frozen=True)
class PairInfo:
    """A pair as the exchange names it, with the runtime's names of its assets."""

    key: str
    symbol: str
    base_code: str
    quote_code: str

    @property
    def base(self) -> str:
        """The base asset as the runtime names it (BTC)."""
        return self.symbol.split("/")[0]

    @property
    def quote(self) -> str:
        """The quote asset as the runtime names it (USD)."""
        return self.symbol.split("/")[1]


@dataclass
class ExchangeRecords:
    """What the exchange holds for the account at ``at`` (its clock, epoch seconds)."""

    at: float
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    trades: dict[str, dict[str, Any]] = field(default_factory=dict)
    balances: dict[str, Decimal] = field(default_factory=dict)
    read_seconds: float = 0.0

    def open_orders(self) -> dict[str, dict[str, Any]]:
        """Orders still open (or pending) at the exchange."""
        return {k: o for k, o in self.orders.items() if o.get("status") in ("open", "pending")}


async def exchange_time(client: KrakenRestClient) -> float:
    """The exchange's clock (Time), epoch seconds."""
    result = await client.request("Time")
    return float(result["unixtime"])


async def read_pairs(client: KrakenRestClient, symbols: list[str]) -> dict[str, PairInfo]:
    """AssetPairs for ``symbols`` ("BTC/USD"), keyed by the exchange's pair key."""
    result = await client.request("AssetPairs")
    wanted = set(symbols)
    out = {}
    for key, row in result.items():
        base, _, quote = str(row.get("wsname", "")).partition("/")
        symbol = f"{common_asset(base)}/{common_asset(quote)}"
        if symbol in wanted:
            out[key] = PairInfo(key, symbol, str(row["base"]), str(row["quote"]))
    return out


async def _pages(client: KrakenRestClient, method: str, key: str) -> dict[str, Any]:
    """Every row of a paged, newest-first call; rows seen twice as the list grows are merged."""
    rows: dict[str, Any] = {}
    ofs = 0
    while True:
        result = await client.request(method, ofs=ofs or None)
        page = result.get(key) or {}
        rows.update(page)
        ofs += PAGE
        if not page or ofs >= int(result.get("count", 0)):
            return rows


async def read_exchange(client: KrakenRestClient) -> ExchangeRecords:
    """Open orders first, then every closed order and trade, then balances.

    Reading open orders first means an order opened before ``at`` is in the result however
    it changes while the closed pages are walked (an order that closes meanwhile is in the
    open snapshot; one closed before is on a page that only moves further back).
    """
    started = time.monotonic()
    records = ExchangeRecords(at=await exchange_time(client))
    opened = await client.request("OpenOrders")
    records.orders.update(opened.get("open") or {})
    for txid, row in (await _pages(client, "ClosedOrders", "closed")).items():
        records.orders[txid] = row  # the closed view wins over an older open one
    records.trades = await _pages(client, "TradesHistory", "trades")
    balances = await client.request("Balance")
    records.balances = {k: Decimal(str(v)) for k, v in balances.items()}
    records.read_seconds = time.monotonic() - started
    return records


def exchange_fill(txid: str, row: dict[str, Any], pairs: dict[str, PairInfo]) -> Fill:
    """A TradesHistory row as a ``Fill`` (fees in the quote currency, as the exchange charges)."""
    pair = pairs[str(row["pair"])]
    return Fill(
        fill_id=txid,
        order_id=str(row["ordertxid"]),
        client_order_id=None,
        symbol=pair.symbol,
        side=Side(str(row["type"])),
        quantity=Decimal(str(row["vol"])),
        price=Decimal(str(row["price"])),
        fee=Decimal(str(row["fee"])),
        fee_currency=pair.quote,
        timestamp=datetime.fromtimestamp(float(row["time"]), UTC),
    )


@dataclass
class RuntimeRecords:
    """The runtime's database, read while the runtime may be running (SQLite WAL)."""

    orders: list[ManagedOrder]
    fills: list[Fill]
    positions: dict[str, PositionState]
    expected_balances: dict[str, Decimal]
    baseline: dict[str, Decimal]


def read_runtime(db: Path) -> RuntimeRecords:
    """Orders, fills, positions and balances from the runtime's OrderStore."""
    store = OrderStore(db)
    try:
        return RuntimeRecords(
            orders=store.orders(),
            fills=store.fills(),
            positions=store.positions(),
            expected_balances=_decimals(store.get("expected_balances")),
            baseline=_decimals(store.get("baseline_balances")),
        )
    finally:
        store.close()


def _decimals(raw: dict[str, str] | None) -> dict[str, Decimal]:
    return {k: Decimal(v) for k, v in (raw or {}).items()}
