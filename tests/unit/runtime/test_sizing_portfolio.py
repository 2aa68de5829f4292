"""Sizing (targets -> rounded intents above minimums) and the portfolio's books."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from src.core.derivatives import DerivativeInstrument, FundingPayment, MarginTier
from src.core.execution import Fill, OrderType, Side
from src.core.instruments import Instrument
from src.core.portfolio import Portfolio, PositionState, balance_deltas
from src.core.sizing import SizingConfig, Target, plan_order, plan_orders

D = Decimal
NOW = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture
def pf() -> DerivativeInstrument:
    return DerivativeInstrument(
        symbol="PF_XBTUSD", base="BTC", quote="USD", price_tick=D(1), lot_step=D("0.0001"),
        margin_tiers=(MarginTier(floor=0, initial_rate="0.02", maintenance_rate="0.01"),),
    )  # fmt: skip


def test_target_becomes_quote_sized_rounded_market_order(btc: Instrument) -> None:
    intent = plan_order(
        Target("BTC/USD", D(1)), position=D(0), pending=D(0), price=D("40000"),
        instrument=btc, config=SizingConfig(capital_per_pair=D(100)),
    )  # fmt: skip
    assert intent is not None
    assert intent.side is Side.BUY
    assert intent.quantity == D("0.00250000")  # 100 USD / 40000
    assert intent.order_type is OrderType.MARKET
    assert intent.notional <= D(100)


def test_quantity_rounds_down_to_lot_step(eth: Instrument) -> None:
    coarse = eth.model_copy(update={"lot_step": D("0.001")})
    intent = plan_order(
        Target("ETH/USD", D(1)), position=D(0), pending=D(0), price=D(3000),
        instrument=coarse, config=SizingConfig(capital_per_pair=D(100)),
    )  # fmt: skip
    assert intent is not None and intent.quantity == D("0.033")  # 0.0333.. rounded down


def test_change_below_minimum_sends_nothing(btc: Instrument) -> None:
    # Holding 0.0025; target wants 0.00255: a 0.00005 change is under ordermin 0.0001.
    intent = plan_order(
        Target("BTC/USD", D(1)), position=D("0.0025"), pending=D(0), price=D(40000),
        instrument=btc, config=SizingConfig(capital_per_pair=D(102)),
    )  # fmt: skip
    assert intent is None


def test_pending_orders_count_so_nothing_is_doubled(btc: Instrument) -> None:
    intent = plan_order(
        Target("BTC/USD", D(1)), position=D(0), pending=D("0.0025"), price=D(40000),
        instrument=btc, config=SizingConfig(capital_per_pair=D(100)),
    )  # fmt: skip
    assert intent is None


def test_target_zero_sells_the_position_and_is_reducing(btc: Instrument) -> None:
    intent = plan_order(
        Target("BTC/USD", D(0)), position=D("0.0025"), pending=D(0), price=D(40000),
        instrument=btc, config=SizingConfig(),
    )  # fmt: skip
    assert intent is not None
    assert (intent.side, intent.quantity, intent.reducing) == (Side.SELL, D("0.0025"), True)


def test_limit_offset_gives_marketable_limit_rounded_to_tick(btc: Instrument) -> None:
    intent = plan_order(
        Target("BTC/USD", D(1)), position=D(0), pending=D(0), price=D("40000.03"),
        instrument=btc, config=SizingConfig(capital_per_pair=D(100), limit_offset_bps=D(10)),
    )  # fmt: skip
    assert intent is not None
    assert intent.order_type is OrderType.LIMIT
    assert intent.limit_price == D("40040.0")  # 40040.06 rounded down (buy) to 0.1


def test_plan_orders_skips_pairs_without_price(btc: Instrument) -> None:
    intents = plan_orders(
        [Target("BTC/USD", D(1)), Target("ETH/USD", D(1))],
        positions={}, pending={}, prices={"BTC/USD": D(40000)},
        instruments={"BTC/USD": btc}, config=SizingConfig(capital_per_pair=D(100)),
    )  # fmt: skip
    assert [i.symbol for i in intents] == ["BTC/USD"]


def _fill(side: Side, qty: str, price: str, fee: str = "0", n: int = 1) -> Fill:
    return Fill(
        fill_id=f"F{n}", order_id="O", client_order_id="c", symbol="BTC/USD", side=side,
        quantity=D(qty), price=D(price), fee=D(fee), fee_currency="USD", timestamp=NOW,
    )  # fmt: skip


def test_weighted_average_cost_and_realized_pnl() -> None:
    p = PositionState("BTC/USD")
    p = p.apply(_fill(Side.BUY, "1", "100", "1"))
    p = p.apply(_fill(Side.BUY, "3", "200", "2"))
    assert p.quantity == D(4)
    assert p.average_price == D(175)  # (100 + 600) / 4
    p = p.apply(_fill(Side.SELL, "2", "250", "1"))
    assert p.realized_pnl == D(150)  # 2 * (250 - 175)
    assert p.average_price == D(175)  # reducing keeps the cost
    assert p.fees == D(4)
    assert p.unrealized_pnl(D(300)) == D(250)  # 2 * (300 - 175)
    p = p.apply(_fill(Side.SELL, "3", "100"))  # through zero: short 1 at 100
    assert p.quantity == D(-1)
    assert p.realized_pnl == D(150) + D(2) * D(-75)
    assert p.average_price == D(100)
    assert p.trades == 4


def test_fee_in_base_currency_is_valued_at_fill_price() -> None:
    fill = _fill(Side.BUY, "1", "100").model_copy(update={"fee": D("0.01"), "fee_currency": "BTC"})
    assert PositionState("BTC/USD").apply(fill).fees == D("1.00")
    assert balance_deltas(fill) == {"BTC": D("0.99"), "USD": D(-100)}


def test_portfolio_reports_balance_differences_without_overwriting() -> None:
    book = Portfolio(expected_balances={"USD": D(1000), "BTC": D(0)})
    position, balances = book.preview(_fill(Side.BUY, "0.5", "100", "0.1"))
    book.commit(position, balances)
    assert book.expected_balances == {"USD": D("949.9"), "BTC": D("0.5")}
    diffs = book.reconcile_balances({"USD": D("949.9"), "BTC": D("0.4"), "ETH": D(1)})
    assert [(d.asset, d.difference) for d in diffs] == [("BTC", D("-0.1")), ("ETH", D(1))]
    assert book.expected_balances["BTC"] == D("0.5")  # reported, not overwritten


@pytest.mark.parametrize("bad", ["BTCUSD", "/USD", "BTC/"])
def test_bad_symbol_is_refused(bad: str) -> None:
    from src.core.portfolio import split_symbol

    with pytest.raises(ValueError, match="BASE/QUOTE"):
        split_symbol(bad)


def test_spot_sell_never_exceeds_what_is_held_while_a_buy_rests(btc: Instrument) -> None:
    # Holding 0.001 with a resting buy of 0.0025 (pending counts it as if filled): going
    # flat used to sell 0.0035 and leave the account 0.0025 short until the buy filled.
    intent = plan_order(
        Target("BTC/USD", D(0)), position=D("0.001"), pending=D("0.0025"), price=D(40000),
        instrument=btc, config=SizingConfig(capital_per_pair=D(100)),
    )  # fmt: skip
    assert intent is not None and intent.side is Side.SELL
    assert intent.quantity == D("0.001")
    # Nothing held: no sell at all, whatever rests.
    assert plan_order(
        Target("BTC/USD", D(0)), position=D(0), pending=D("0.0025"), price=D(40000),
        instrument=btc, config=SizingConfig(capital_per_pair=D(100)),
    ) is None  # fmt: skip


def test_spot_sell_counts_sells_already_working(btc: Instrument) -> None:
    # Holding 0.003, a sell of 0.001 working and a buy of 0.002 resting: at most 0.002 more
    # may be sold (the working sell takes its share of what is held).
    intents = plan_orders(
        [Target("BTC/USD", D(0))], positions={"BTC/USD": D("0.003")},
        pending={"BTC/USD": D("0.001")}, pending_sells={"BTC/USD": D("0.001")},
        prices={"BTC/USD": D(40000)}, instruments={"BTC/USD": btc},
        config=SizingConfig(capital_per_pair=D(100)),
    )  # fmt: skip
    assert [(i.side, i.quantity) for i in intents] == [(Side.SELL, D("0.002"))]


def test_futures_targets_go_short_and_lever(pf: DerivativeInstrument) -> None:
    config = SizingConfig(capital_per_pair=D(1000))
    short = plan_order(Target("PF_XBTUSD", D(-2)), position=D(0), pending=D(0),
                       price=D(50000), instrument=pf, config=config)  # fmt: skip
    assert short is not None and short.side is Side.SELL and short.quantity == D("0.04")
    # from 0.04 short to 1x long: buys 0.06 (a spot pair would be capped, a contract is not)
    flip = plan_order(Target("PF_XBTUSD", D(1)), position=D("-0.04"), pending=D(0),
                      price=D(50000), instrument=pf, config=config)  # fmt: skip
    assert flip is not None and flip.side is Side.BUY and flip.quantity == D("0.06")


def test_futures_position_realises_by_the_contract_and_moves_only_margin(
    pf: DerivativeInstrument,
) -> None:
    book = Portfolio(expected_balances={"USD": D(10000)})
    book.register(pf)
    for side, qty, price, fee in ((Side.SELL, "0.1", "50000", "2.5"),
                                  (Side.BUY, "0.15", "48000", "3.6")):  # fmt: skip
        fill = Fill(fill_id=f"f{side}", order_id="o", client_order_id="c", symbol="PF_XBTUSD",
                    side=side, quantity=D(qty), price=D(price), fee=D(fee), fee_currency="USD",
                    timestamp=NOW)  # fmt: skip
        book.commit(*book.preview(fill))
    position = book.position("PF_XBTUSD")
    # short 0.1 at 50,000 bought back at 48,000: +200 realised; then long 0.05 at 48,000
    assert position.realized_pnl == D(200) and position.quantity == D("0.05")
    assert position.average_price == D(48000) and position.fees == D("6.1")
    # the USD balance moved by the realised PnL less fees only; no BTC appeared
    assert book.expected_balances == {"USD": D(10000) + D(200) - D("6.1")}
    book.mark("PF_XBTUSD", D(49000))
    assert book.unrealized_pnl == D(50)  # 0.05 * (49,000 - 48,000)
    assert book.gross_exposure() == D(2450)
    book.apply_funding(FundingPayment(symbol="PF_XBTUSD", timestamp=NOW, amount=D("-1.5"),
                                      currency="USD"))  # fmt: skip
    assert book.funding_pnl == D("-1.5")
    assert book.expected_with_funding() == {"USD": D("10192.4")}
    assert book.net_pnl == D(200) + D(50) - D("6.1") - D("1.5")
