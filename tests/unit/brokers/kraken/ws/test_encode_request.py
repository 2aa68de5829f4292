"""Requests go out with every Decimal as its exact digits (issue 19)."""

from __future__ import annotations

from decimal import Decimal

from src.brokers.kraken.ws.frames import encode_request


def test_an_order_request_is_exact() -> None:
    params = {"order_type": "limit", "order_qty": Decimal("0.00010"),
              "limit_price": Decimal("1E+4"), "triggers": {"price": Decimal("-0.5")}}  # fmt: skip
    assert encode_request("add_order", params, 7) == (
        '{"method":"add_order","params":{"order_type":"limit","order_qty":0.00010,'
        '"limit_price":10000,"triggers":{"price":-0.5}},"req_id":7}'
    )
