"""An inverse contract in the runtime's book and spot limits, against hand-computed cases.

PI_XBTUSD: one contract is one US dollar, PnL, fees and funding are bitcoin. The book keeps
them in bitcoin per contract and values them in dollars (at the mark) for its totals; the
spot-style limits count the contracts' dollars, not contracts times price.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from src.core.clock import ManualClock
from src.core.derivatives import (
    DerivativeInstrument,
    FundingPayment,
    MarginTier,
    Settlement,
    quote_value,
)
from src.core.execution import Fill, Side
from src.core.kill_switch import KillSwitch
from src.core.portfolio import Portfolio
from src.core.risk import RiskContext, RiskLimits, RiskManager
from src.core.sizing import OrderIntent, SizingConfig, Target, plan_order

D = Decimal
T0 = datetime(2026, 12, 1, tzinfo=UTC)
PI = DerivativeInstrument(
    symbol="PI_XBTUSD", base="BTC", quote="USD", price_tick=D("0.5"), lot_step=D(1),
    min_quantity=D(1), settlement=Settlement.INVERSE, settlement_currency="BTC",
    margin_tiers=(MarginTier(floor=0, initial_rate="0.02", maintenance_rate="0.01"),),
    funding_interval=timedelta(hours=1),
)  # fmt: skip


def fill(n: int, side: Side, quantity: str, price: str, fee: str, currency: str = "BTC") -> Fill:
    return Fill(
        fill_id=f"f{n}", order_id=f"o{n}", client_order_id=f"c{n}", symbol="PI_XBTUSD",
        side=side, quantity=D(quantity), price=D(price), fee=D(fee), fee_currency=currency,
        timestamp=T0 + timedelta(minutes=n),
    )  # fmt: skip


def book() -> Portfolio:
    portfolio = Portfolio(expected_balances={"BTC": D("0.5")}, starting_equity=D(1000))
    portfolio.register(PI)
    return portfolio


def apply(portfolio: Portfolio, f: Fill) -> None:
    portfolio.commit(*portfolio.preview(f))


def test_entries_average_harmonically_and_a_close_realises_bitcoin() -> None:
    portfolio = book()
    apply(portfolio, fill(1, Side.BUY, "500", "50000", "0.000005"))
    apply(portfolio, fill(2, Side.BUY, "500", "62500", "0.000004"))
    held = portfolio.position("PI_XBTUSD")
    # 1,000 dollars bought 0.01 + 0.008 BTC: entry 1,000 / 0.018 = 55,555.55...
    assert held.quantity == D(1000)
    assert held.average_price == D(1000) / (D(500) / D(50000) + D(500) / D(62500))
    assert abs(held.average_price - D("55555.5555555555")) < D("0.0001")
    # Fees stay bitcoin (a spot pair's base-currency fee would be valued at the price).
    assert held.fees == D("0.000009")
    # Sell 400 at 60,000: 400 * (1/55,555.55 - 1/60,000) = 400 * (0.000018 - 0.0000166...)
    apply(portfolio, fill(3, Side.SELL, "400", "60000", "0.000002"))
    closed = portfolio.position("PI_XBTUSD")
    expected = D(400) * (D("0.000018") - D(1) / D(60000))
    assert abs(closed.realized_pnl - expected) < D("1e-24")
    assert abs(closed.realized_pnl - D("0.00053333333333")) < D("1e-12")
    assert closed.average_price == held.average_price  # a reduction keeps the entry
    # The wallet moves by the realised bitcoin less every fee; no dollar leg.
    assert set(portfolio.expected_balances) == {"BTC"}
    assert portfolio.expected_balances["BTC"] == D("0.5") + closed.realized_pnl - D("0.000011")


def test_a_fee_charged_in_dollars_is_booked_in_bitcoin_at_the_fill_price() -> None:
    portfolio = book()
    apply(portfolio, fill(1, Side.BUY, "1000", "50000", "0.25", currency="USD"))
    assert portfolio.position("PI_XBTUSD").fees == D("0.000005")  # 0.25 / 50,000


def test_the_books_totals_are_dollars_at_the_mark() -> None:
    portfolio = book()
    apply(portfolio, fill(1, Side.BUY, "1000", "50000", "0.00001"))
    apply(portfolio, fill(2, Side.SELL, "500", "62500", "0.00001"))
    portfolio.apply_funding(FundingPayment(symbol="PI_XBTUSD", timestamp=T0, amount=D("-0.000002"),
                                           currency="BTC"))  # fmt: skip
    # Before any mark the entry values them: realised 500 * (1/50,000 - 1/62,500) = 0.002 BTC
    assert portfolio.position("PI_XBTUSD").realized_pnl == D("0.002")
    assert portfolio.realized_pnl == D("0.002") * D(50000)
    portfolio.mark("PI_XBTUSD", D(40000))
    assert portfolio.realized_pnl == D(80)  # 0.002 BTC at 40,000
    assert portfolio.fees == D("0.8")  # 0.00002 BTC at 40,000
    assert portfolio.funding_pnl == D("-0.08")
    # The open 500 long at 50,000 marked at 40,000: 500 * (1/50,000 - 1/40,000) = -0.0025 BTC
    assert portfolio.unrealized_pnl == D(-100)
    assert portfolio.net_pnl == D(80) - D(100) - D("0.8") - D("0.08")
    assert portfolio.equity == D(1000) + portfolio.net_pnl
    assert portfolio.gross_exposure() == D(500)  # dollars, whatever the mark


def test_sizing_and_the_spot_limits_count_an_inverse_contract_in_dollars() -> None:
    intent = plan_order(
        Target("PI_XBTUSD", D(1)), position=D(0), pending=D(0), price=D(60000), instrument=PI,
        config=SizingConfig(capital_per_pair=D(1000)),
    )  # fmt: skip
    assert intent is not None and intent.quantity == D(1000)  # 1,000 one-dollar contracts
    assert quote_value(PI, D(-1000), D(60000)) == D(1000)
    assert quote_value(None, D(-2), D(60000)) == D(120000)  # a spot pair: base units

    limits = RiskLimits(
        allowed_pairs=frozenset({"PI_XBTUSD"}), allow_leverage=True, max_order_notional=D(1500),
        max_position_notional=D(1500), max_gross_exposure=D(1500), kill_file=None,
    )  # fmt: skip
    risk = RiskManager(limits, ManualClock(), KillSwitch())

    def context(position: str) -> RiskContext:
        return RiskContext(
            positions={"PI_XBTUSD": D(position)}, prices={"PI_XBTUSD": D(60000)},
            mid=D(60000), data_age_seconds=0.0, instruments={"PI_XBTUSD": PI},
        )  # fmt: skip

    assert risk.check(intent, context("0")) is None
    # Without the instrument the same order reads as 1,000 * 60,000 = 60 million dollars.
    bare = RiskContext(positions={}, prices={}, mid=D(60000), data_age_seconds=0.0)
    refusal = risk.check(intent, bare)
    assert refusal is not None and refusal.code == "max_order_notional"
    assert "60000000.00" in refusal.message
    # 1,000 held plus 1,000 is 2,000 dollars: over the position limit of 1,500.
    refusal = risk.check(intent, context("1000"))
    assert refusal is not None and refusal.code == "max_position_notional"
    assert "2000.00" in refusal.message
    # Reducing a 2,000-dollar long is allowed: the position shrinks.
    sell = OrderIntent("PI_XBTUSD", Side.SELL, D(1000), D(60000))
    assert risk.check(sell, context("2000")) is None
