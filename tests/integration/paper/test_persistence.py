"""SQLite state: an account survives a restart; reset wipes it."""

from __future__ import annotations

from pathlib import Path

from src.venues.kraken_paper import PaperExchange
from tests.integration.paper.kraken_client import Client, next_nonce


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
