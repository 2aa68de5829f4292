"""Every order type the issue lists is encoded as Kraken Futures documents it, rounded once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from src.brokers.kraken_futures.orders.encoding import encode_edit, encode_order
from src.brokers.kraken_futures.rest.client import batch_json
from src.brokers.kraken_futures.rest.transport import encode_params
from src.brokers.kraken_futures.symbols import InstrumentMap
from src.core.derivatives import DerivativeInstrument
from src.core.errors import InvalidOrderError, OrderMinimumError
from src.core.execution import Order, OrderType, Side, TimeInForce
from tests.unit.brokers.kraken_futures.conftest import load

D = Decimal


def pf() -> DerivativeInstrument:
    rows = load("http_instruments")["instruments"]
    return InstrumentMap.from_reply(rows).get("PF_XBTUSD")


def test_pf_fixture_has_the_expected_rules() -> None:
    assert pf().price_tick == D(1) and pf().lot_step == D("0.0001")


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, {"orderType": "mkt"}),
        ({"order_type": OrderType.LIMIT, "limit_price": "50000.7"},
         {"orderType": "lmt", "limitPrice": D(50001)}),
        ({"order_type": OrderType.LIMIT, "limit_price": "50000", "post_only": True},
         {"orderType": "post", "limitPrice": D(50000)}),
        ({"order_type": OrderType.LIMIT, "limit_price": "50000", "time_in_force": TimeInForce.IOC},
         {"orderType": "ioc", "limitPrice": D(50000)}),
        ({"order_type": OrderType.STOP_LOSS, "stop_price": "45000.6"},
         {"orderType": "stp", "stopPrice": D(45001), "triggerSignal": "mark"}),
        ({"order_type": OrderType.STOP_LOSS_LIMIT, "stop_price": "45000", "limit_price": "44900"},
         {"orderType": "stp", "stopPrice": D(45000), "limitPrice": D(44900),
          "triggerSignal": "mark"}),
        ({"order_type": OrderType.TAKE_PROFIT, "stop_price": "60000"},
         {"orderType": "take_profit", "stopPrice": D(60000), "triggerSignal": "mark"}),
        ({"order_type": OrderType.TAKE_PROFIT_LIMIT, "stop_price": "60000",
          "limit_price": "59900"},
         {"orderType": "take_profit", "stopPrice": D(60000), "limitPrice": D(59900),
          "triggerSignal": "mark"}),
        ({"order_type": OrderType.TRAILING_STOP, "trail_offset": "2", "trail_percent": True},
         {"orderType": "trailing_stop", "trailingStopMaxDeviation": D(2),
          "trailingStopDeviationUnit": "PERCENT", "triggerSignal": "mark"}),
        ({"order_type": OrderType.TRAILING_STOP, "trail_offset": "150"},
         {"orderType": "trailing_stop", "trailingStopMaxDeviation": D(150),
          "trailingStopDeviationUnit": "QUOTE_CURRENCY", "triggerSignal": "mark"}),
        ({"reduce_only": True}, {"orderType": "mkt", "reduceOnly": True}),
    ],
)  # fmt: skip
def test_order_types(kwargs: dict[str, object], expected: dict[str, object]) -> None:
    order = Order(symbol="PF_XBTUSD", side=Side.SELL, quantity="0.12345", **kwargs)
    params = encode_order(order, pf())
    base = {"symbol": "PF_XBTUSD", "side": "sell", "size": D("0.1234")}
    assert params == {**base, "cliOrdId": order.client_order_id, **expected}


def test_sell_limit_rounds_up_and_buy_limit_down() -> None:
    sell = Order(symbol="PF_XBTUSD", side=Side.SELL, quantity=1, order_type=OrderType.LIMIT,
                 limit_price="50000.2")  # fmt: skip
    buy = sell.model_copy(update={"side": Side.BUY})
    assert encode_order(sell, pf())["limitPrice"] == D(50001)
    assert encode_order(buy, pf())["limitPrice"] == D(50000)


def test_trigger_signal_is_configurable() -> None:
    order = Order(symbol="PF_XBTUSD", side=Side.SELL, quantity=1,
                  order_type=OrderType.STOP_LOSS, stop_price=40000)  # fmt: skip
    assert encode_order(order, pf(), trigger_signal="index")["triggerSignal"] == "index"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"quantity": None, "notional": 100}, InvalidOrderError),
        ({"quantity": "0.00001"}, OrderMinimumError),
        ({"leverage": 5}, InvalidOrderError),
        ({"time_in_force": TimeInForce.GTD, "expire_at": "2030-01-01T00:00:00+00:00"},
         InvalidOrderError),
        ({"order_type": OrderType.TRAILING_STOP, "trail_offset": 60, "trail_percent": True},
         InvalidOrderError),
    ],
)  # fmt: skip
def test_refused_locally(kwargs: dict[str, object], error: type[Exception]) -> None:
    values: dict[str, object] = {"symbol": "PF_XBTUSD", "side": Side.BUY, "quantity": 1, **kwargs}
    order = Order(**values)
    with pytest.raises(error):
        encode_order(order, pf())


def test_edit_parameters() -> None:
    params = encode_edit(pf(), Side.BUY, order_id="o1", quantity=D("0.5"), limit_price=D("1.9"))
    assert params == {"orderId": "o1", "size": D("0.5"), "limitPrice": D(1)}
    with pytest.raises(InvalidOrderError):
        encode_edit(pf(), Side.BUY, order_id="o1")
    with pytest.raises(InvalidOrderError):
        encode_edit(pf(), Side.BUY, order_id="o1", cli_ord_id="c1", quantity=D(1))


def test_params_and_batch_json_on_the_wire() -> None:
    assert (
        encode_params({"a": True, "b": D("0.10"), "c": None, "ids": ["x", "y"], "_hint": 3})
        == "a=true&b=0.10&ids=x&ids=y"
    )
    text = batch_json([{"order": "send", "size": D("0.001"), "reduceOnly": False, "x": None}])
    assert text == '{"batchOrder":[{"order":"send","size":0.001,"reduceOnly":false}]}'
