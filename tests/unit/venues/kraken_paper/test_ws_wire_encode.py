"""The paper exchange writes its frames with every Decimal's exact digits."""

from __future__ import annotations

from decimal import Decimal

from src.utils.exact_json import dumps_recursive
from src.venues.kraken_paper.ws_wire import encode, ok_reply


def test_an_executions_report_keeps_every_digit() -> None:
    report = {"order_qty": Decimal("0.10000000"), "cum_cost": Decimal("0E-8"),
              "limit_price": Decimal("1E+4"), "post_only": False, "id": "\x00"}  # fmt: skip
    frame = {"channel": "executions", "type": "update", "sequence": 3, "data": [report]}
    assert encode(frame) == (
        '{"channel":"executions","type":"update","sequence":3,"data":[{"order_qty":0.10000000,'
        '"cum_cost":0.00000000,"limit_price":10000,"post_only":false,"id":"\\u0000"}]}'
    )
    reply = ok_reply("add_order", {"order_id": "O-1"}, 7, 0.0, 0.000001)
    assert encode(reply) == dumps_recursive(reply)
