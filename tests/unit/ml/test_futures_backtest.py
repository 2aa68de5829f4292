"""The futures backtest against hand-computed cases: funding, liquidation, inverse PnL, basis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest

from src.core.derivatives import (
    ContractType,
    DerivativeInstrument,
    MarginTier,
    Settlement,
    TierBasis,
)
from src.ml.backtest.futures import FuturesCosts, run_futures_backtest

D = Decimal
TIERS = (MarginTier(floor=0, initial_rate="0.02", maintenance_rate="0.01"),)
PF = DerivativeInstrument(symbol="PF_XBTUSD", base="BTC", quote="USD", price_tick=D(1),
                          lot_step=D("0.0001"), margin_tiers=TIERS,
                          funding_interval=timedelta(hours=1))  # fmt: skip
PI = DerivativeInstrument(symbol="PI_XBTUSD", base="BTC", quote="USD", price_tick=D("0.5"),
                          lot_step=D(1), settlement=Settlement.INVERSE, settlement_currency="BTC",
                          tier_basis=TierBasis.CONTRACTS, margin_tiers=TIERS,
                          funding_interval=timedelta(hours=1))  # fmt: skip
NO_SLIP = FuturesCosts(slippage_bps=0.0)


def bars(prices: list[float], target: list[float], **extra: list[float]) -> pl.DataFrame:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    return pl.DataFrame({
        "timestamp": [start + timedelta(hours=i) for i in range(len(prices))],
        "open": prices, "high": extra.pop("high", prices), "low": extra.pop("low", prices),
        "close": prices, "target": target, **extra,
    })  # fmt: skip


def test_long_pays_funding_every_hour() -> None:
    frame = bars([50000.0] * 10, [1.0] * 10)
    result = run_futures_backtest(
        frame, PF, costs=FuturesCosts(slippage_bps=0, funding_rate=0.0001)
    )
    # bar 1 buys 10000/50000 = 0.2 BTC (fee 5); bars 1-9 each pay 0.2 * 0.0001 * 50000 = 1
    assert result.trades["quantity"].to_list() == [pytest.approx(0.2)]
    assert result.totals["fees"] == pytest.approx(5.0)
    assert result.totals["funding"] == pytest.approx(-9.0)
    assert result.totals["final_equity"] == pytest.approx(10000 - 5 - 9)


def test_short_is_liquidated_where_equity_meets_maintenance() -> None:
    frame = bars(
        [50000.0, 50000.0, 60000.0, 90000.0], [-1.0] * 4, high=[50000.0, 50000.0, 60000.0, 100000.0]
    )
    result = run_futures_backtest(frame, PF, costs=NO_SLIP)
    # short 0.2 at 50000, cash 9995: p = (-0.2*50000 - 9995) / (-0.2 - 0.002)
    liquidation = (-0.2 * 50000 - 9995) / (-0.202)
    last = result.trades.row(-1, named=True)
    assert last["kind"] == "liquidation" and last["price"] == pytest.approx(liquidation)
    fee = 0.2 * liquidation * 0.0005
    assert result.totals["final_equity"] == pytest.approx(9995 - 0.2 * (liquidation - 50000) - fee)
    assert result.totals["liquidations"] == 1.0
    # equity at the liquidation price equals maintenance margin (before the fee)
    assert 9995 - 0.2 * (liquidation - 50000) == pytest.approx(0.2 * liquidation * 0.01)
    assert result.path["position"].to_list()[-1] == 0


def test_inverse_contract_pnl_in_bitcoin() -> None:
    frame = bars([50000.0, 50000.0, 60000.0], [1.0, 1.0, 1.0])
    result = run_futures_backtest(frame, PI, costs=NO_SLIP, initial_equity=1.0)
    # 1 BTC at 50000 buys 50000 one-dollar contracts; at 60000: 50000*(1/50000 - 1/60000)
    assert result.trades["quantity"].to_list() == [50000.0]
    fee = 50000 / 50000 * 0.0005
    assert result.totals["final_equity"] == pytest.approx(1 - fee + 50000 * (1 / 50000 - 1 / 60000))


def test_basis_moves_equity_and_targets_are_capped() -> None:
    frame = bars([50000.0, 50000.0], [5.0, 5.0], mark=[50500.0, 50500.0])
    result = run_futures_backtest(frame, PF, costs=FuturesCosts(slippage_bps=0, max_leverage=1.0))
    # capped to 1x: 10000 / 50000 = 0.2 BTC bought at the open (50000), marked at 50500
    qty = result.trades["quantity"][0]
    assert qty == pytest.approx(0.2)
    assert result.path["equity"].to_list()[-1] == pytest.approx(10000 - 5 + 0.2 * 500)


def test_flat_target_trades_nothing() -> None:
    result = run_futures_backtest(bars([1.0, 2.0, 3.0], [0.0] * 3), PF)
    assert result.trades.height == 0 and result.totals["final_equity"] == 10000


def dated(contract: DerivativeInstrument, expiry_hour: int) -> DerivativeInstrument:
    symbol = contract.symbol.replace("PF_", "FF_").replace("PI_", "FI_") + "_240105"
    return contract.model_copy(update={
        "symbol": symbol, "contract_type": ContractType.FIXED_MATURITY, "funding_interval": None,
        "expiry": datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=expiry_hour),
    })  # fmt: skip


def test_a_fixed_maturity_settles_at_the_expiry_open_and_trades_no_more() -> None:
    frame = bars([50000.0, 50000.0, 52000.0, 55000.0, 60000.0], [1.0] * 5)
    result = run_futures_backtest(frame, dated(PF, 3), costs=NO_SLIP)
    # long 0.2 at 50000 (fee 5); bar 3 opens at the expiry: sold at 55000, fee 0.2*55000*0.05 %
    assert result.trades["kind"].to_list() == ["trade", "settlement"]
    assert result.trades["price"].to_list() == [50000.0, 55000.0]
    assert result.totals["settled"] == 1.0 and result.totals["fees"] == pytest.approx(5 + 5.5)
    final = 10000 - 5 + 0.2 * 5000 - 5.5
    # Flat at the cash from the expiry on: bar 4's 60,000 and its target move nothing.
    assert result.path["position"].to_list() == [0, 0.2, 0.2, 0, 0]
    assert result.path["equity"].to_list()[3:] == [pytest.approx(final)] * 2
    assert result.totals["final_equity"] == pytest.approx(final)


def test_the_basis_is_gone_at_settlement() -> None:
    frame = bars([50000.0] * 4, [1.0] * 4)
    costs = FuturesCosts(slippage_bps=0, basis=0.01)
    result = run_futures_backtest(frame, dated(PF, 3), costs=costs)
    # bought 0.2 at the 50,000 open and marked 1 % above: +100 before the expiry; settled at
    # the underlying's 50,000, the 100 is gone and only the two fees of 5 remain
    equity = result.path["equity"].to_list()
    assert equity[1:3] == [pytest.approx(10000 - 5 + 100)] * 2
    assert equity[3] == pytest.approx(10000 - 5 - 5)


def test_an_inverse_fixed_maturity_settles_in_bitcoin() -> None:
    frame = bars([50000.0, 50000.0, 40000.0], [1.0] * 3)
    result = run_futures_backtest(frame, dated(PI, 2), costs=NO_SLIP, initial_equity=1.0)
    # 50,000 one-dollar contracts at 50,000; settled at 40,000: 50000 * (1/50000 - 1/40000)
    loss = 50000 * (1 / 50000 - 1 / 40000)
    fees = 0.0005 + 50000 / 40000 * 0.0005
    assert result.trades["kind"].to_list() == ["trade", "settlement"]
    assert result.totals["final_equity"] == pytest.approx(1 + loss - fees)


def test_an_expiry_after_the_candles_never_settles() -> None:
    result = run_futures_backtest(bars([50000.0] * 3, [1.0] * 3), dated(PF, 10), costs=NO_SLIP)
    assert result.totals["settled"] == 0.0 and result.path["position"].to_list()[-1] == 0.2
