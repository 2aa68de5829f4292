"""Futures risk limits against hand-computed cases; reducing orders always pass."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal

import pytest

from src.core.derivatives import DerivativeInstrument, MarginTier, Settlement
from src.core.execution import Side
from src.core.futures_risk import FuturesExposure, FuturesRiskLimits, check_futures_order

D = Decimal
PF = DerivativeInstrument(
    symbol="PF_XBTUSD", base="BTC", quote="USD", price_tick=D(1), lot_step=D("0.0001"),
    margin_tiers=(MarginTier(floor=0, initial_rate="0.02", maintenance_rate="0.01"),),
    funding_interval=timedelta(hours=1),
)  # fmt: skip


def exposure(position: str = "0", equity: str = "1000", **kw: object) -> FuturesExposure:
    values: dict[str, object] = {
        "instrument": PF, "position": D(position), "entry": D(60000) if position != "0" else None,
        "mark": D(60000), "equity": D(equity), **kw,
    }  # fmt: skip
    return FuturesExposure(**values)  # type: ignore[arg-type]


def test_symbol_and_notional() -> None:
    limits = FuturesRiskLimits()
    other = dataclasses.replace(exposure(), instrument=PF.model_copy(update={"symbol": "PF_SOL"}))
    assert "allowed_symbols" in (check_futures_order(limits, other, Side.BUY, D("0.01")) or "")
    # 0.1 BTC at 60,000 = 6,000 USD > 5,000
    assert "max_notional_per_contract" in (
        check_futures_order(limits, exposure(equity="100000"), Side.BUY, D("0.1")) or ""
    )
    assert check_futures_order(limits, exposure(equity="100000"), Side.BUY, D("0.05")) is None


def test_leverage() -> None:
    limits = FuturesRiskLimits(max_notional_per_contract=D(10**6))
    # 0.06 BTC = 3,600 USD on 1,000: 3.6x > 3x
    reason = check_futures_order(limits, exposure(), Side.SELL, D("0.06"))
    assert reason is not None and "3.60x" in reason
    assert check_futures_order(limits, exposure(), Side.SELL, D("0.05")) is None  # 3x


def test_distance_to_liquidation() -> None:
    limits = FuturesRiskLimits(max_notional_per_contract=D(10**6), max_leverage=D(100))
    # long 0.3 on 1,000 USD: liquidation at (18000 - 1000) / (0.3 * 0.99) = 57239.06, 4.6 %
    reason = check_futures_order(limits, exposure(), Side.BUY, D("0.3"))
    assert reason is not None and "57239.06" in reason and "4.60%" in reason
    # long 0.05 on 1,000: (3000 - 1000) / (0.05 * 0.99) = 40404.04, 32.7 %: allowed
    assert check_futures_order(limits, exposure(), Side.BUY, D("0.05")) is None


def test_funding_cost_budget() -> None:
    limits = FuturesRiskLimits(
        max_notional_per_contract=D(10**6),
        max_leverage=D(100),
        min_liquidation_distance=D(0),
        funding_cost_budget=D(10),
    )
    # 6 USD per BTC per hour; long 0.05 pays 0.3 an hour, 7.2 a day: inside 10
    rich = exposure(equity="100000", funding_rate=D(6))
    assert check_futures_order(limits, rich, Side.BUY, D("0.05")) is None
    paid = exposure(equity="100000", funding_rate=D(6), funding_paid_today=D(3))
    reason = check_futures_order(limits, paid, Side.BUY, D("0.05"))
    assert reason is not None and "10.2000" in reason
    assert check_futures_order(limits, rich, Side.SELL, D("0.05")) is None  # shorts receive


PI = DerivativeInstrument(
    symbol="PI_XBTUSD", base="BTC", quote="USD", price_tick=D("0.5"), lot_step=D(1),
    settlement=Settlement.INVERSE, settlement_currency="BTC",
    margin_tiers=(MarginTier(floor=0, initial_rate="0.02", maintenance_rate="0.01"),),
    funding_interval=timedelta(hours=1),
)  # fmt: skip


def test_inverse_contract_counts_dollars_and_budgets_funding_in_usd() -> None:
    limits = FuturesRiskLimits(
        allowed_symbols=frozenset({"PI_XBTUSD"}), max_notional_per_contract=D(6000),
        min_liquidation_distance=D(0), funding_cost_budget=D(10),
    )  # fmt: skip
    # 6,001 one-dollar contracts are 6,001 USD whatever the price: over 6,000
    flat = dataclasses.replace(exposure(equity="1"), instrument=PI)
    reason = check_futures_order(limits, flat, Side.BUY, D(6001))
    assert reason is not None and "6001 USD" in reason
    # 6,000 USD at 60,000 is 0.1 BTC on 0.02 BTC of equity: 5x > 3x
    thin = dataclasses.replace(exposure(equity="0.02"), instrument=PI)
    reason = check_futures_order(limits, thin, Side.BUY, D(6000))
    assert reason is not None and "5.00x" in reason
    # funding 1e-7 BTC per contract per hour: 3,000 long pay 0.0003 BTC an hour, 0.0072 BTC
    # a day, 432 USD at 60,000 - over the 10 USD budget, which 0.0072 "units" would not be
    funded = dataclasses.replace(exposure(equity="1", funding_rate=D("1e-7")), instrument=PI)
    reason = check_futures_order(limits, funded, Side.BUY, D(3000))
    assert reason is not None and "432.0000 USD" in reason and "0.00720000 BTC" in reason
    # 60 contracts pay 0.000144 BTC a day: 8.64 USD, inside the budget
    assert check_futures_order(limits, funded, Side.BUY, D(60)) is None


def test_reducing_is_always_allowed() -> None:
    tight = FuturesRiskLimits(max_leverage=D(0), max_notional_per_contract=D(0))
    assert check_futures_order(tight, exposure("0.5"), Side.SELL, D("0.2")) is None
    assert check_futures_order(tight, exposure("0.5"), Side.SELL, D("0.5")) is None
    assert check_futures_order(tight, exposure("0.5"), Side.SELL, D("0.6")) is not None  # flips


def test_limits_refuse_negative_values() -> None:
    with pytest.raises(ValueError, match="max_leverage"):
        FuturesRiskLimits(max_leverage=D(-1))
    assert "max_leverage = 3" in FuturesRiskLimits().describe()
