"""Malformed requests get Kraken's errors and never take the server down."""

from __future__ import annotations

from typing import Any

import pytest

from src.venues.kraken_paper import PaperExchange
from tests.integration.paper.kraken_client import Client, next_nonce

BASE: dict[str, Any] = {
    "pair": "XBTUSD",
    "type": "buy",
    "ordertype": "limit",
    "volume": "0.01",
    "price": "29000.0",
}


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ({"pair": None}, "EGeneral:Invalid arguments:pair"),
        ({"pair": "NOPE"}, "EQuery:Unknown asset pair"),
        ({"type": None}, "EGeneral:Invalid arguments:type"),
        ({"type": "hold"}, "EGeneral:Invalid arguments:type"),
        ({"ordertype": "iceberg-ish"}, "EGeneral:Invalid arguments:ordertype"),
        ({"volume": None}, "EGeneral:Invalid arguments:volume"),
        ({"volume": "1e"}, "EGeneral:Invalid arguments:volume"),
        ({"volume": "-1"}, "EGeneral:Invalid arguments:volume"),
        ({"volume": "NaN"}, "EGeneral:Invalid arguments:volume"),
        ({"price": None}, "EGeneral:Invalid arguments:price"),
        ({"price": "abc"}, "EGeneral:Invalid arguments:price"),
        ({"price": "1e1000"}, "EGeneral:Invalid arguments:price"),
        ({"volume": "1e-1000"}, "EGeneral:Invalid arguments:volume"),
        ({"price": "29000.3"}, None),
        ({"userref": "x"}, "EGeneral:Invalid arguments:userref"),
        ({"userref": str(2**40)}, "EGeneral:Invalid arguments:userref"),
        ({"oflags": "post,fcib,fciq"}, "EGeneral:Invalid arguments:oflags"),
        ({"oflags": "weird"}, "EGeneral:Invalid arguments:oflags"),
        ({"timeinforce": "FOO"}, "EGeneral:Invalid arguments:timeinforce"),
        ({"timeinforce": "GTD"}, "EGeneral:Invalid arguments:expiretm"),
        ({"cl_ord_id": "x" * 40}, "EGeneral:Invalid arguments:cl_ord_id"),
        ({"validate": "maybe"}, "EGeneral:Invalid arguments:validate"),
    ],
)
async def test_add_order_bad_fields(client: Client, override: dict, error: str | None) -> None:  # type: ignore[type-arg]
    params = {k: v for k, v in {**BASE, **override}.items() if v is not None}
    out = await client.private("AddOrder", **params)
    assert out["error"] == ([error] if error else [])


async def test_bad_tick_size_on_eth(client: Client) -> None:
    out = await client.private(
        "AddOrder", pair="ETH/USD", type="buy", ordertype="limit", volume="0.01", price="0.005"
    )
    assert out["error"][0].startswith("EOrder:Invalid price")


async def test_invalid_json_and_non_object_json(client: Client) -> None:
    for body in ('{"nonce": 1, ', "[1, 2]"):
        nonce = str(next_nonce())
        resp = await client.raw("Balance", body, nonce, json_body=True)
        assert resp.status_code == 200
        assert resp.json()["error"][0].startswith("EAPI:Invalid")


async def test_oversized_body(client: Client) -> None:
    nonce = str(next_nonce())
    body = f"nonce={nonce}&pad=" + "x" * 200_000
    resp = await client.raw("Balance", body, nonce)
    assert resp.json() == {"error": ["EAPI:Bad request"]}
    assert (await client.ok("Balance"))["ZUSD"] == "10000.0000"


async def test_non_utf8_body_and_unknown_private_method(client: Client) -> None:
    nonce = str(next_nonce())
    resp = await client.http.post(
        "/0/private/Balance",
        content=b"nonce=1&\xff\xfe",
        headers={"API-Key": client.key, "API-Sign": "x"},
    )
    assert resp.json()["error"] == ["EAPI:Invalid signature"]
    out = await client.raw("NoSuchThing", f"nonce={nonce}", nonce)
    assert out.json() == {"error": ["EGeneral:Unknown method"]}


async def test_bad_query_params_public(client: Client, exchange: PaperExchange) -> None:
    assert (await client.public("Depth", pair="XBTUSD", count="x"))["error"] == [
        "EGeneral:Invalid arguments:count"
    ]
    assert (await client.public("Depth"))["error"] == ["EGeneral:Invalid arguments:pair"]
    assert (await client.public("Trades", pair="XBTUSD", since="zz"))["error"] == [
        "EGeneral:Invalid arguments:since"
    ]
    assert (await client.public("Time"))["error"] == []


async def test_cancel_and_query_missing_ids(client: Client) -> None:
    assert (await client.private("CancelOrder"))["error"] == ["EGeneral:Invalid arguments:txid"]
    assert (await client.private("QueryOrders"))["error"] == ["EGeneral:Invalid arguments:txid"]
    assert (await client.private("CancelAllOrdersAfter", timeout="abc"))["error"] == [
        "EGeneral:Invalid arguments:timeout"
    ]
    assert (await client.private("AmendOrder", txid="OXXXXX-XXXXX-XXXXXX"))["error"] == [
        "EOrder:Unknown order"
    ]
    assert (await client.private("AddOrderBatch", pair="XBTUSD"))["error"] == [
        "EGeneral:Invalid arguments:orders"
    ]
