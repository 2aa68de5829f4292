"""The shipped Kraken REST fixtures have the shapes ``rest/replies.py`` declares.

TypedDicts are static only, so without this test a fixture (or Kraken's shape, when a
fixture is refreshed from a capture) could drift from the types unnoticed. Each fixture's
``result`` is walked against its reply type: every required key present, nested maps and
lists walked too, and plain values of the declared JSON kind (amounts as strings, times
and counts as numbers). Keys the types do not name are allowed: Kraken adds fields.
"""

from __future__ import annotations

import json
import types
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints, is_typeddict

import pytest

from src.brokers.kraken.rest import replies

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "kraken"

TYPED: dict[str, Any] = {
    "http_add_order.json": replies.AddOrderResult,
    "http_add_order_batch.json": replies.AddOrderBatchResult,
    "http_amend_order.json": replies.AmendOrderResult,
    "http_asset_pairs.json": replies.AssetPairsResult,
    "http_assets.json": replies.AssetsResult,
    "http_balance.json": replies.BalanceResult,
    "http_balance_ex.json": replies.BalanceExResult,
    "http_cancel_all.json": replies.CancelAllResult,
    "http_cancel_all_orders_after.json": replies.CancelAllOrdersAfterResult,
    "http_cancel_order.json": replies.CancelOrderResult,
    "http_closed_orders.json": replies.ClosedOrdersResult,
    "http_edit_order.json": replies.EditOrderResult,
    "http_get_websockets_token.json": replies.WebSocketsTokenResult,
    "http_open_orders.json": replies.OpenOrdersResult,
    "http_open_positions.json": replies.OpenPositionsResult,
    "http_query_orders.json": replies.QueryOrdersResult,
    "http_trade_balance.json": replies.TradeBalanceResult,
    "http_trades_history.json": replies.TradesHistoryResult,
    "nautilus/http_asset_pairs.json": replies.AssetPairsResult,
    "nautilus/http_ohlc.json": replies.OHLCResult,
    "nautilus/http_server_time.json": replies.TimeResult,
    "nautilus/http_system_status.json": replies.SystemStatusResult,
    "nautilus/http_ticker.json": replies.TickerResult,
}
#: Fixtures of replies the adapter hands back untyped (Depth, Trades, Spread).
UNTYPED = {"http_spread.json", "nautilus/http_order_book.json", "nautilus/http_trades.json"}
SCALARS: dict[Any, tuple[type, ...]] = {
    str: (str,),
    int: (int,),
    float: (int, float),
    bool: (bool,),
    type(None): (type(None),),
}


def problems(value: Any, hint: Any, where: str = "result") -> list[str]:
    """Where ``value`` (parsed JSON) departs from the type ``hint``; [] when it fits."""
    if is_typeddict(hint):
        return _object_problems(value, hint, where)
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        tries = [problems(value, arg, where) for arg in get_args(hint)]
        return [] if [] in tries else min(tries, key=len)
    if origin in (dict, list):
        return _container_problems(value, origin, get_args(hint)[-1], where)
    kinds = SCALARS[hint]
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
        return [f"{where}: {value!r} is not {hint.__name__}"]
    return []


def _object_problems(value: Any, hint: Any, where: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where}: {type(value).__name__}, expected an object"]
    found = [f"{where}: lacks {key!r}" for key in sorted(hint.__required_keys__ - set(value))]
    fields = get_type_hints(hint)
    for key, item in value.items():
        if key in fields:
            found += problems(item, fields[key], f"{where}.{key}")
    return found


def _container_problems(value: Any, kind: type, item_hint: Any, where: str) -> list[str]:
    if not isinstance(value, kind):
        return [f"{where}: {type(value).__name__}, expected a {kind.__name__}"]
    rows: Any = value  # a dict or a list: narrowed by ``kind``, which mypy cannot see
    items = rows.items() if kind is dict else enumerate(rows)
    return [p for k, v in items for p in problems(v, item_hint, f"{where}[{k!r}]")]


def _result(name: str) -> Any:
    reply = json.loads((FIXTURES / name).read_text())
    assert reply["error"] == []
    return reply["result"]


@pytest.mark.parametrize("name", sorted(TYPED))
def test_fixture_has_its_reply_type(name: str) -> None:
    assert problems(_result(name), TYPED[name]) == []


def test_every_rest_fixture_is_typed_or_named_untyped() -> None:
    shipped = {str(p.relative_to(FIXTURES)) for p in FIXTURES.rglob("http_*.json")}
    assert shipped - TYPED.keys() - UNTYPED == set()  # a new fixture: name its reply type


def test_the_walk_names_a_missing_key_and_a_number_sent_as_a_string() -> None:
    order = _result("http_open_orders.json")["open"]["OQCLML-BW3P3-BUCMWZ"]
    del order["descr"]["ordertype"]
    order["vol"] = 1.25
    order["opentm"] = "1688666559.8974"
    assert problems({"open": {"O1": order}}, replies.OpenOrdersResult) == [
        "result.open['O1'].opentm: '1688666559.8974' is not float",
        "result.open['O1'].descr: lacks 'ordertype'",
        "result.open['O1'].vol: 1.25 is not str",
    ]


def test_optional_keys_may_be_left_out() -> None:
    assert (
        problems({"currentTime": "2023-03-24T17:41:56Z"}, replies.CancelAllOrdersAfterResult) == []
    )
    assert problems({"error": "EOrder:Insufficient funds"}, replies.BatchOrderRow) == []
    assert problems({"descr": {"order": "buy 1 XBTUSD @ limit 1"}}, replies.AddOrderResult) == []
    assert problems({}, replies.CancelOrderResult) == ["result: lacks 'count'"]
