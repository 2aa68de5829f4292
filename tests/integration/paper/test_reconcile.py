"""Decimal accounting: after random order sequences, balances + fees reconcile exactly."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from src.core.clock import ManualClock
from src.venues.kraken_paper import KrakenError, PaperExchange
from src.venues.kraken_paper.pairs import asset_decimals

PAIR_PRICES = {"XBTUSD": Decimal("30000"), "ETHUSD": Decimal("2000"), "ETHXBT": Decimal("0.065")}
TICKS = {"XBTUSD": Decimal("0.1"), "ETHUSD": Decimal("0.01"), "ETHXBT": Decimal("0.00001")}

action = st.one_of(
    st.tuples(
        st.just("add"), st.sampled_from(sorted(PAIR_PRICES)), st.sampled_from(["buy", "sell"]),
        st.sampled_from(["limit", "market", "stop-loss", "take-profit-limit"]),
        st.integers(-300, 300), st.integers(1, 400), st.sampled_from(["", "fcib", "fciq", "post"]),
    ),
    st.tuples(st.just("move"), st.sampled_from(sorted(PAIR_PRICES)), st.integers(-400, 400),
              st.integers(1, 500)),
    st.tuples(st.just("cancel"), st.integers(0, 20)),
)  # fmt: skip


def _price(pair: str, bp: int) -> str:
    raw = PAIR_PRICES[pair] * (1 + Decimal(bp) / 10000)
    return str((raw / TICKS[pair]).quantize(Decimal(1)) * TICKS[pair])


async def _run(actions: list[tuple]) -> None:  # type: ignore[type-arg]
    clock = ManualClock(start=0.0, wall_start=datetime(2025, 1, 1, tzinfo=UTC))
    async with PaperExchange(market="synthetic", auto_tick=False, clock=clock,
                             rate_limits=False) as ex:  # fmt: skip
        for pair, price in PAIR_PRICES.items():
            ex.drive(pair, price)
        start = dict(ex.engine.accounts["demo"].balances)
        txids: list[str] = []
        for act in actions:
            clock.advance(1)
            if act[0] == "add":
                _, pair, side, otype, bp, size, flag = act
                vol = Decimal(size) * {"XBTUSD": Decimal("0.0005"), "ETHUSD": Decimal("0.01"),
                                       "ETHXBT": Decimal("0.01")}[pair]  # fmt: skip
                params = {"pair": pair, "type": side, "ordertype": otype, "volume": str(vol),
                          "oflags": flag if otype == "limit" or flag != "post" else ""}  # fmt: skip
                if otype != "market":
                    params["price"] = _price(pair, bp)
                if otype.endswith("-limit"):
                    params["price2"] = _price(pair, bp - 10)
                with contextlib.suppress(KrakenError):
                    txids += ex.service.add_order("demo", params).get("txid", [])
            elif act[0] == "move":
                _, pair, bp, size = act
                ex.drive(pair, _price(pair, bp), qty=Decimal(size) / 100)
            elif txids:
                with contextlib.suppress(KrakenError):
                    ex.service.cancel_order("demo", {"txid": txids[act[1] % len(txids)]})
        _check(ex, start)


def _check(ex: PaperExchange, start: dict[str, Decimal]) -> None:
    account = ex.engine.accounts["demo"]
    expected = dict(start)
    for t in ex.engine.trades.values():
        base, quote = (ex.markets[t.pair_key].spec.base, ex.markets[t.pair_key].spec.quote)
        sign = 1 if t.side == "buy" else -1
        expected[base] = expected.get(base, Decimal(0)) + sign * t.vol
        paid = t.cost.quantize(Decimal(1).scaleb(-asset_decimals(quote)))  # ledger decimals
        expected[quote] = expected.get(quote, Decimal(0)) - sign * paid
        expected[t.fee_asset] -= t.fee
        assert t.fee >= 0 and t.cost > 0
    assert account.balances == expected
    for asset, bal in account.balances.items():
        assert bal >= 0, asset
        assert ex.engine.available(account, asset) >= 0, asset
    for o in ex.engine.orders.values():
        fills = [ex.engine.trades[t] for t in o.trade_ids]
        assert o.vol_exec == sum((f.vol for f in fills), Decimal(0)) <= o.volume
        assert o.cost == sum((f.cost for f in fills), Decimal(0))
        assert o.fee == sum((f.fee for f in fills), Decimal(0))
    ex.service.cancel_all("demo")
    assert ex.engine.holds(account) == {}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(action, min_size=5, max_size=30))
async def test_balances_reconcile_after_random_orders(actions: list[tuple]) -> None:  # type: ignore[type-arg]
    await _run(actions)
