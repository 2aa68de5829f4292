"""Signature, nonce, key and permission checks of the paper exchange."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from src.venues.kraken_paper import PaperExchange
from src.venues.kraken_paper.auth import sign
from tests.integration.paper.kraken_client import Client, next_nonce

KRAKEN_SECRET = (
    "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="
)


def test_sign_matches_kraken_documented_vector() -> None:
    body = b"nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25"
    assert sign("/0/private/AddOrder", "1616492376594", body, KRAKEN_SECRET) == (
        "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ=="
    )


def test_sign_json_body_vector() -> None:
    body = b'{"nonce": "1616492376594", "orders": ["OG5V2Y-RYKVL-DT3V3B", "OP5V2Y-RYKVL-ET3V3B"]}'
    assert sign("/0/private/CancelOrderBatch", "1616492376594", body, KRAKEN_SECRET) == (
        "rSlnWtY8t1Bqk7TV0XGL8xrlrQMfRdvavufSK6OxsxVTp8x9+g/6mFL2QzsvVM7uiicO5nFxIuYMBqsTeAuKXQ=="
    )


async def test_unknown_key(client: Client) -> None:
    nonce = str(next_nonce())
    resp = await client.raw("Balance", f"nonce={nonce}", nonce, key="nope")
    assert resp.json() == {"error": ["EAPI:Invalid key"]}


async def test_bad_signature(client: Client) -> None:
    nonce = str(next_nonce())
    body = f"nonce={nonce}"
    resp = await client.raw("Balance", body, nonce, sign_body=body + "&x=1")
    assert resp.json() == {"error": ["EAPI:Invalid signature"]}


async def test_signature_over_raw_body_bytes_any_param_order(client: Client) -> None:
    nonce = str(next_nonce())
    body = f"trades=true&nonce={nonce}"
    resp = await client.raw("OpenOrders", body, nonce)
    assert resp.json()["error"] == []


async def test_nonce_must_increase(client: Client) -> None:
    nonce = next_nonce()
    first = await client.raw("Balance", f"nonce={nonce}", str(nonce))
    assert first.json()["error"] == []
    for stale in (nonce, nonce - 1):
        resp = await client.raw("Balance", f"nonce={stale}", str(stale))
        assert resp.json() == {"error": ["EAPI:Invalid nonce"]}


async def test_json_body_with_numeric_nonce(client: Client) -> None:
    nonce = next_nonce()
    body = f'{{"nonce": {nonce}}}'
    resp = await client.raw("Balance", body, str(nonce), json_body=True)
    assert resp.json()["error"] == []


async def test_missing_nonce_is_invalid_nonce(client: Client) -> None:
    resp = await client.raw("Balance", "", "")
    assert resp.json() == {"error": ["EAPI:Invalid nonce"]}


async def test_permissions(exchange: PaperExchange) -> None:
    key, secret = exchange.create_api_key(permissions={"query_funds"})
    c = Client(exchange.rest_url, key, secret)
    try:
        assert (await c.private("Balance"))["error"] == []
        denied: dict[str, dict[str, Any]] = {
            "OpenOrders": {},
            "ClosedOrders": {},
            "AddOrder": {"pair": "XBTUSD", "type": "buy", "ordertype": "market", "volume": "0.001"},
            "CancelOrder": {"txid": "OABCDE-FGHIJ-KLMNOP"},
            "GetWebSocketsToken": {},
        }
        for method, params in denied.items():
            out = await c.private(method, **params)
            assert out == {"error": ["EGeneral:Permission denied"]}, method
    finally:
        await c.aclose()


async def test_websocket_token_validates_to_account(
    exchange: PaperExchange, client: Client
) -> None:
    token = (await client.ok("GetWebSocketsToken"))["token"]
    assert exchange.validate_token(token) == "demo"


async def test_form_body_with_python_bools(client: Client) -> None:
    nonce = str(next_nonce())
    body = urlencode({"nonce": nonce, "trades": "True"})
    assert (await client.raw("OpenOrders", body, nonce)).json()["error"] == []


async def test_permission_split_between_query_and_trade(exchange: PaperExchange) -> None:
    key, secret = exchange.create_api_key(permissions={"query_open_orders", "create_orders"})
    c = Client(exchange.rest_url, key, secret)
    try:
        order: dict[str, Any] = {
            "pair": "XBTUSD",
            "type": "buy",
            "ordertype": "limit",
            "volume": "0.01",
        }
        txid = (await c.ok("AddOrder", price="29000.0", **order))["txid"][0]
        assert list((await c.ok("OpenOrders"))["open"]) == [txid]
        assert list(await c.ok("QueryOrders", txid=txid)) == [txid]
        for method in ("ClosedOrders", "TradesHistory", "Balance"):
            assert await c.private(method) == {"error": ["EGeneral:Permission denied"]}
        assert await c.private("CancelOrder", txid=txid) == {
            "error": ["EGeneral:Permission denied"]
        }
        assert await c.ok("AmendOrder", txid=txid, limit_price="29100.0")
    finally:
        await c.aclose()
