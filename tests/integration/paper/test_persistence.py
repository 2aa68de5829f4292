"""SQLite state: what is acknowledged is on disk, it survives a restart, reset wipes it."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from src.core.clock import ManualClock
from src.venues.kraken_paper import PaperExchange
from src.venues.kraken_paper.auth import KeyStore
from src.venues.kraken_paper.events import EventBus
from src.venues.kraken_paper.matching import Engine
from src.venues.kraken_paper.store import SCHEMA_VERSION, Store, StoreError
from tests.integration.paper.kraken_client import Client, next_nonce
from tests.integration.paper.paper_process import ws_trader
from tests.support.paper import PaperOptions, start_paper


async def test_state_survives_restart_and_reset(tmp_path: Path) -> None:
    db = tmp_path / "paper.db"
    async with PaperExchange(market="synthetic", db_path=db, auto_tick=False) as ex:
        ex.drive("XBTUSD", "30000.0")
        key, secret = ex.api_key, ex.api_secret
        c = Client(ex.rest_url, key, secret)
        txid = (await c.ok("AddOrder", pair="XBTUSD", type="buy", ordertype="limit",
                           volume="0.01", price="29000.0"))["txid"][0]  # fmt: skip
        await c.ok("AddOrder", pair="XBTUSD", type="buy", ordertype="market", volume="0.01")
        balances = await c.ok("Balance")
        used_nonce = next_nonce()
        assert (await c.raw("Balance", f"nonce={used_nonce}", str(used_nonce))).json()[
            "error"
        ] == []
        await c.aclose()
    async with PaperExchange(market="synthetic", db_path=db, auto_tick=False) as ex2:
        assert (ex2.api_key, ex2.api_secret) == (key, secret)
        c = Client(ex2.rest_url, key, secret)
        assert await c.ok("Balance") == balances
        assert list((await c.ok("OpenOrders"))["open"]) == [txid]
        assert (await c.ok("TradesHistory"))["count"] >= 1
        stale = await c.raw("Balance", f"nonce={used_nonce}", str(used_nonce))
        assert stale.json() == {"error": ["EAPI:Invalid nonce"]}
        await c.aclose()
    async with PaperExchange(market="synthetic", db_path=db, auto_tick=False, reset=True) as ex3:
        assert ex3.api_key != key
        c = Client(ex3.rest_url, ex3.api_key, ex3.api_secret)
        assert (await c.ok("Balance"))["ZUSD"] == "10000.0000"
        assert (await c.ok("OpenOrders"))["open"] == {}
        await c.aclose()


async def test_given_credentials_and_balances() -> None:
    secret = (
        "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="
    )
    balances = {"USD": 500, "BTC": "1"}
    async with PaperExchange(
        market="synthetic", auto_tick=False, api_key="demo-key", api_secret=secret,
        initial_balances=balances,
    ) as ex:  # fmt: skip
        c = Client(ex.rest_url, "demo-key", secret)
        assert await c.ok("Balance") == {"XXBT": "1.0000000000", "ZUSD": "500.0000"}
        await c.aclose()


def _disk(db: Path) -> dict[str, Any]:
    """What a ``kill -9`` would leave: the committed rows, read by a second connection."""
    engine, keys = Engine(EventBus(), {}, lambda: 0.0), KeyStore()
    store = Store(db)
    try:
        store.load(engine, keys)
        return _state(engine, keys, store.meta("dead_man") or {})
    finally:
        store.close()


def _state(engine: Engine, keys: KeyStore, dead_man: dict[str, float]) -> dict[str, Any]:
    orders = [{**asdict(o), "last_change": None} for o in engine.orders.values()]
    return {
        "orders": orders,
        "open": [o.txid for o in engine.open_orders()],
        "trades": [asdict(t) for t in engine.trades.values()],
        "accounts": {a.id: asdict(a) for a in engine.accounts.values()},
        "keys": {k.key: asdict(k) for k in keys.keys.values()},
        "dead_man": dead_man,
    }


async def test_every_change_is_on_disk_before_the_reply(
    tmp_path: Path, paper_options: PaperOptions, clock: ManualClock
) -> None:
    db = tmp_path / "paper.db"
    async with start_paper(paper_options.but(db_path=db, rate_limits=False)) as ex:
        c = Client(ex.rest_url, ex.api_key, ex.api_secret)
        key2, secret2 = ex.create_api_key(account="acct2")
        c2 = Client(ex.rest_url, key2, secret2)
        buy: dict[str, Any] = {
            "pair": "XBTUSD",
            "type": "buy",
            "ordertype": "limit",
            "volume": "0.01",
        }
        try:
            rest = (await c.ok("AddOrder", price="29000.0", **buy))["txid"][0]
            await c.ok("AmendOrder", txid=rest, order_qty="0.02")
            edited = (await c.ok("EditOrder", txid=rest, pair="XBTUSD", price="28500.0"))["txid"]
            await c.ok("AddOrder", pair="XBTUSD", type="sell", ordertype="stop-loss",
                       price="29500.0", volume="0.05")  # fmt: skip
            await c.ok("AddOrder", price="20000.0", timeinforce="GTD", expiretm="+10", **buy)
            await c.ok("AddOrder", price="29000.0", **{**buy, "volume": "0.05"})
            await c.ok("AddOrder", pair="XBTUSD", type="buy", ordertype="market", volume="0.01")
            orders = [{**buy, "price": "27000.0"}, {**buy, "price": "26000.0", "cl_ord_id": "b"}]
            await c.ok("AddOrderBatch", json_body=True, pair="XBTUSD", orders=orders)
            await c.ok("CancelOrder", cl_ord_id="b")
            await c.ok("CancelAllOrdersAfter", timeout=60)
            assert _disk(db) == _state(ex.engine, ex.keys, ex.service.dead_man)
            ex.drive("XBTUSD", "28900.0", qty="0.02")  # triggers the stop, part-fills a limit
            clock.advance(11)
            await ex.step(1)  # the GTD order expires
            assert _disk(db) == _state(ex.engine, ex.keys, ex.service.dead_man)
            async with ws_trader(ex.ws_auth_url, c2) as ws:
                ws_ids = []
                for price in (25000, 24000):
                    [ack] = await ws.call("add_order", order_type="limit", side="buy",
                                          order_qty=0.01, symbol="BTC/USD",
                                          limit_price=price)  # fmt: skip
                    ws_ids.append(ack["result"]["order_id"])
                    assert _disk(db) == _state(ex.engine, ex.keys, ex.service.dead_man)
                await ws.call("amend_order", order_id=ws_ids[0], limit_price=25100)
                await ws.call("edit_order", order_id=ws_ids[1], symbol="BTC/USD", order_qty=0.02)
                await ws.call("batch_add", symbol="BTC/USD", orders=[
                    {"order_type": "limit", "side": "sell", "order_qty": 0.01, "limit_price": p}
                    for p in (40000, 41000)
                ])  # fmt: skip
                [fill] = await ws.call("add_order", order_type="market", side="buy",
                                       order_qty=0.01, symbol="BTC/USD")  # fmt: skip
                assert fill["success"] is True, fill
                await ws.call("cancel_all_orders_after", timeout=30)
                assert _disk(db) == _state(ex.engine, ex.keys, ex.service.dead_man)
                await ws.call("cancel_all")
                assert _disk(db) == _state(ex.engine, ex.keys, ex.service.dead_man)
            assert edited and ex.engine.trades and len(ex.engine.orders) >= 12
            assert {o.status for o in ex.engine.orders.values()} >= {
                "open",
                "closed",
                "canceled",
                "expired",
            }
        finally:
            await c.aclose()
            await c2.aclose()


def _write_old_format(path: Path, ex: PaperExchange) -> None:
    """The file layout before issue 13: a ``state`` table of one JSON document per kind."""

    def encode(obj: Any) -> Any:
        return str(obj) if isinstance(obj, Decimal) else list(obj)

    docs = {
        "accounts": [
            {"id": a.id, "balances": a.balances, "volume_usd": a.volume_usd,
             "initial": a.initial, "ledger": [asdict(e) for e in a.ledger]}
            for a in ex.engine.accounts.values()
        ],
        "orders": [asdict(o) for o in ex.engine.orders.values()],
        "trades": [asdict(t) for t in ex.engine.trades.values()],
        "keys": [asdict(k) for k in ex.keys.keys.values()],
        "extra": {"dead_man": ex.service.dead_man},
    }  # fmt: skip
    db = sqlite3.connect(path)
    with db:
        db.execute("CREATE TABLE state (name TEXT PRIMARY KEY, body TEXT)")
        for name, doc in docs.items():
            db.execute("INSERT INTO state VALUES (?, ?)", (name, json.dumps(doc, default=encode)))
    db.close()


async def test_an_old_format_file_is_converted(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    async with PaperExchange(market="synthetic", auto_tick=False) as ex:
        ex.drive("XBTUSD", "30000.0")
        c = Client(ex.rest_url, ex.api_key, ex.api_secret)
        txid = (await c.ok("AddOrder", pair="XBTUSD", type="buy", ordertype="limit",
                           volume="0.01", price="29000.0"))["txid"][0]  # fmt: skip
        await c.ok("AddOrder", pair="XBTUSD", type="buy", ordertype="market", volume="0.01")
        balances, ledgers = await c.ok("Balance"), await c.ok("Ledgers")
        await c.aclose()
        key, secret = ex.api_key, ex.api_secret
        _write_old_format(db, ex)
    for _ in range(2):  # converted on the first open; the second reads the new rows
        async with PaperExchange(market="synthetic", db_path=db, auto_tick=False) as again:
            assert (again.api_key, again.api_secret) == (key, secret)
            c = Client(again.rest_url, key, secret)
            assert await c.ok("Balance") == balances
            assert await c.ok("Ledgers") == ledgers
            assert list((await c.ok("OpenOrders"))["open"]) == [txid]
            await c.aclose()
        tables = sqlite3.connect(db).execute("SELECT name FROM sqlite_master").fetchall()
        assert ("state",) not in tables and ("orders",) in tables


def test_a_newer_schema_is_refused_with_a_way_out(tmp_path: Path) -> None:
    db = tmp_path / "future.db"
    Store(db).put_meta("schema", SCHEMA_VERSION + 1)
    with pytest.raises(StoreError, match="--reset"):
        PaperExchange(market="synthetic", db_path=db, auto_tick=False)
    PaperExchange(market="synthetic", db_path=db, auto_tick=False, reset=True).store.close()  # type: ignore[union-attr]
