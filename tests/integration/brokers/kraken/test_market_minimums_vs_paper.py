"""Market-order minimums against the paper exchange over loopback (the unit tests use respx)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from src.brokers.kraken_adapter import KrakenAdapter
from src.core.errors import OrderMinimumError
from src.core.execution import Order, OrderType, Side
from src.venues.kraken_paper import PaperExchange


def _market(side: Side, quantity: str | None = None, notional: str | None = None) -> Order:
    return Order(
        symbol="BTC/USD",
        side=side,
        quantity=quantity,
        notional=notional,
        order_type=OrderType.MARKET,
    )


async def test_against_paper_exchange_over_loopback() -> None:
    async with (
        PaperExchange(market="replay", seed=1) as ex,
        KrakenAdapter(api_key=ex.api_key, api_secret=ex.api_secret, base_url=ex.rest_url) as ad,
    ):
        inst = await ad.get_instrument("BTC/USD")
        key = (await ad.load_symbols()).resolve("BTC/USD").key
        ask = Decimal((await ad.get_ticker(key))[key]["a"][0])
        # Half the ask-value of the minimum size: above costmin, but too few BTC.
        small = (inst.min_quantity * ask / 2).quantize(Decimal("0.01"))
        assert small >= inst.min_cost
        usd_before = (await ad.get_account())["USD"]
        with pytest.raises(OrderMinimumError, match="minimum order size"):
            await ad.submit_orders([_market(Side.BUY, notional=str(small))])
        assert await ad.get_orders(status="closed") == []  # the venue never saw it
        assert (await ad.get_account())["USD"] == usd_before
        order = _market(Side.BUY, notional=str(small * 6))
        [ack] = await ad.submit_orders([order])
        assert ack.accepted and ack.order_id
        found = await ad.find_order(order.client_order_id)
        assert found is not None and found.order_id == ack.order_id
