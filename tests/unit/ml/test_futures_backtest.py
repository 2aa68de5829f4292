"""The futures backtest against hand-computed cases: funding, liquidation, inverse PnL, basis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest

from src.core.derivatives import DerivativeInstrument, MarginTier, Settlement, TierBasis
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
