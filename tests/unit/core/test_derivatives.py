"""Futures arithmetic against hand-computed cases: value, PnL, margin, funding, liquidation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from src.core.derivatives import (
    ContractType,
    DerivativeInstrument,
    DerivativePosition,
    DerivativeTicker,
    MarginSummary,
    MarginTier,
    Settlement,
    TierBasis,
)
from src.core.execution import Position, Side

D = Decimal


def linear() -> DerivativeInstrument:
    return DerivativeInstrument(
        symbol="PF_XBTUSD", base="BTC", quote="USD", price_tick=D(1), lot_step=D("0.0001"),
        margin_tiers=(
            MarginTier(floor=0, initial_rate="0.02", maintenance_rate="0.01"),
            MarginTier(floor=500000, initial_rate="0.04", maintenance_rate="0.02"),
        ),
        funding_interval=timedelta(hours=1),
    )  # fmt: skip


def inverse() -> DerivativeInstrument:
    return DerivativeInstrument(
        symbol="PI_XBTUSD", base="BTC", quote="USD", price_tick=D("0.5"), lot_step=D(1),
        settlement=Settlement.INVERSE, settlement_currency="BTC", tier_basis=TierBasis.CONTRACTS,
        margin_tiers=(MarginTier(floor=0, initial_rate="0.02", maintenance_rate="0.01"),),
    )  # fmt: skip


def test_linear_value_and_pnl_long_and_short() -> None:
    pf = linear()
    assert pf.quote_notional(D(2), D(50000)) == D(100000)
    assert pf.settlement_value(D(-2), D(50000)) == D(100000)
    assert pf.pnl(D(2), D(50000), D(51000)) == D(2000)
    assert pf.pnl(D(-2), D(50000), D(51000)) == D(-2000)


def test_inverse_value_and_pnl() -> None:
    pi = inverse()
    assert pi.quote_notional(D(10000), D(50000)) == D(10000)
    assert pi.settlement_value(D(10000), D(50000)) == D("0.2")
    # long 10000 USD from 50000 to 40000: 10000 * (1/50000 - 1/40000) = -0.05 BTC
    assert pi.pnl(D(10000), D(50000), D(40000)) == D("-0.05")
    assert pi.pnl(D(-10000), D(50000), D(40000)) == D("0.05")


def test_margin_tier_applies_to_the_whole_position() -> None:
    pf = linear()
    assert pf.initial_margin(D(2), D(50000)) == D(2000)  # 100k at 2 %
    assert pf.maintenance_margin(D(2), D(50000)) == D(1000)
    # 10 BTC at 50000 = 500k reaches tier 2: 4 % of all of it
    assert pf.initial_margin(D(10), D(50000)) == D(20000)
    assert pf.maintenance_margin(D(-10), D(50000)) == D(10000)
    assert pf.initial_margin(D(0), D(50000)) == 0
    assert inverse().initial_margin(D(10000), D(50000)) == D("0.004")  # 0.2 BTC * 2 %


def test_funding_linear_and_inverse() -> None:
    pf = linear()
    # relative 0.0001 at mark 50000: 5 USD per BTC per hour; long 2 pays 10, short receives
    rate = pf.absolute_funding_rate(D("0.0001"), D(50000))
    assert rate == D(5)
    assert pf.funding_payment(D(2), rate) == D(-10)
    assert pf.funding_payment(D(-2), rate) == D(10)
    pi = inverse()
    absolute = pi.absolute_funding_rate(D("0.0001"), D(50000))
    assert absolute == D("0.000000002")  # BTC per one-dollar contract
    assert pi.funding_payment(D(10000), absolute) == D("-0.00002")


def test_linear_liquidation_price_long_and_short() -> None:
    pf = linear()
    # long 1 at 50000 with 5000 USD: p = (50000 - 5000) / (1 - 0.01)
    long_price = pf.liquidation_price(D(1), D(50000), D(5000), D("0.01"))
    assert long_price == D(45000) / D("0.99")
    equity = D(5000) + pf.pnl(D(1), D(50000), long_price)
    assert equity == pytest.approx(pf.maintenance_margin(D(1), long_price))
    # short 1 at 50000 with 5000 USD: p = (50000 + 5000) / (1 + 0.01)
    short_price = pf.liquidation_price(D(-1), D(50000), D(5000), D("0.01"))
    assert short_price == D(55000) / D("1.01")
    # a fully funded long never liquidates
    assert pf.liquidation_price(D(1), D(50000), D(60000), D("0.01")) is None


def test_inverse_liquidation_price() -> None:
    pi = inverse()
    # long 10000 USD at 50000 with 0.02 BTC: p = 10000 * 1.01 / (0.02 + 0.2)
    assert pi.liquidation_price(D(10000), D(50000), D("0.02"), D("0.01")) == D(10100) / D("0.22")
    # short 10000 USD at 50000 with 0.02 BTC: p = 10000 * 0.99 / (0.2 - 0.02) = 55000
    assert pi.liquidation_price(D(-10000), D(50000), D("0.02"), D("0.01")) == D(55000)
    # short fully covered (0.3 BTC > 0.2 BTC value): no liquidation
    assert pi.liquidation_price(D(-10000), D(50000), D("0.3"), D("0.01")) is None


def test_expiry_and_position_and_ticker() -> None:
    expiry = datetime(2024, 3, 29, 8, tzinfo=UTC)
    ff = linear().model_copy(
        update={"contract_type": ContractType.FIXED_MATURITY, "expiry": expiry}
    )
    assert not ff.is_perpetual
    assert ff.time_to_expiry(expiry - timedelta(hours=2)) == timedelta(hours=2)
    assert ff.time_to_expiry(expiry + timedelta(hours=2)) == timedelta(0)
    position = DerivativePosition(symbol="PF_XBTUSD", quantity=D(-3), mark_price=D(1))
    assert isinstance(position, Position) and position.size == 3 and position.is_short
    assert position.direction is Side.SELL
    ticker = DerivativeTicker(
        symbol="PF_XBTUSD", timestamp=expiry, mark_price=D(101), index_price=D(100)
    )
    assert ticker.basis == D("0.01")


def test_margin_ratio() -> None:
    figures = dict.fromkeys(
        ("balance_value", "portfolio_value", "collateral_value", "initial_margin",
         "initial_margin_with_orders", "unrealized_pnl", "unrealized_funding",
         "available_margin"), D(0),
    )  # fmt: skip
    summary = MarginSummary(
        currency="USD", maintenance_margin=D(50), margin_equity=D(100), **figures
    )
    assert summary.margin_ratio == D("0.5")
