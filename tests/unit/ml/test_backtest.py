"""Backtest accounting: fees, cash, positions and PnL reconcile with the trade list exactly."""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal

import numpy as np
import polars as pl
import pytest

from src.core.instruments import Instrument
from src.ml.backtest import BacktestResult, CostModel, run_backtest, signals_to_positions
from src.ml.data.sources import read_kraken_ohlcvt_csv
from tests.support.paths import MARKET_DATA

DATA = MARKET_DATA
BTC = Instrument(
    symbol="BTC/USD",
    base="BTC",
    quote="USD",
    price_tick="0.1",
    lot_step="0.00000001",
    min_quantity="0.0001",
    min_cost="0.5",
)
ETH = Instrument(
    symbol="ETH/USD",
    base="ETH",
    quote="USD",
    price_tick="0.01",
    lot_step="0.00000001",
    min_quantity="0.002",
    min_cost="0.5",
)


@pytest.fixture(scope="module")
def candles() -> pl.DataFrame:
    """Real Kraken 1m BTC (first 3000 bars) and 1h ETH candles, random target weights."""
    btc = read_kraken_ohlcvt_csv(
        DATA / "kraken-ohlcvt-1m-btcusdc-2023q1/BTCUSDC_1m_2023-03-01_to_03-15.csv"
    )
    eth = read_kraken_ohlcvt_csv(DATA / "kraken-ohlcvt-60m/ETHUSD_60_2021_2023.csv")
    rng = np.random.default_rng(5)
    parts = []
    for pair, frame in (("BTC/USD", btc.head(3000)), ("ETH/USD", eth.head(3000))):
        weight = np.repeat(rng.choice([-1.0, 0.0, 0.5, 1.0], size=300), 10)
        parts.append(frame.with_columns(pl.lit(pair).alias("pair"), pl.Series("target", weight)))
    return pl.concat(parts)


def _run(candles: pl.DataFrame, costs: CostModel | None = None) -> BacktestResult:
    return run_backtest(
        candles,
        costs=costs or CostModel(),
        instruments={"BTC/USD": BTC, "ETH/USD": ETH},
        initial_cash=20_000.0,
    )


def test_cash_fees_and_positions_reconcile_with_trades(candles: pl.DataFrame) -> None:
    result = _run(candles)
    assert result.trades.height > 100
    for pair in ("BTC/USD", "ETH/USD"):
        trades = result.trades.filter(pl.col("pair") == pair)
        sign = np.where(trades["side"].to_numpy() == "buy", 1.0, -1.0)
        qty, price, fee = (trades[c].to_numpy() for c in ("quantity", "price", "fee"))
        # Replay the trade list by hand: cash and position after every fill match exactly.
        cash, pos = 10_000.0, Decimal(0)
        for i in range(trades.height):
            cash -= sign[i] * qty[i] * price[i] + fee[i]
            pos += Decimal(int(sign[i])) * Decimal(repr(float(qty[i])))
            assert cash == trades["cash"][i]
            assert pos == Decimal(repr(float(trades["position"][i])))
        np.testing.assert_allclose(fee, qty * price * 0.004, rtol=1e-12)
        np.testing.assert_allclose(trades["notional"].to_numpy(), qty * price, rtol=1e-12)
        last_close = candles.filter(pl.col("pair") == pair)["close"][-1]
        expected = cash + float(pos) * last_close
        assert result.equity[f"equity_{pair}"][-1] == pytest.approx(expected, rel=1e-12)
    final = result.equity["equity"][-1]
    pnl = final - 20_000.0
    assert final == pytest.approx(
        result.equity.select(pl.sum_horizontal("equity_BTC/USD", "equity_ETH/USD"))[-1, 0]
    )
    assert pnl < 0  # random trading after 0.4 % fees loses money
    assert result.trades["fee"].sum() > 0


def test_fills_obey_tick_lot_and_direction_of_slippage(candles: pl.DataFrame) -> None:
    trades = _run(candles).trades
    for row in trades.iter_rows(named=True):
        inst = BTC if row["pair"] == "BTC/USD" else ETH
        price, qty = Decimal(repr(row["price"])), Decimal(repr(row["quantity"]))
        assert price % inst.price_tick == 0
        assert qty % inst.lot_step == 0
        assert qty >= inst.min_quantity
        if row["side"] == "buy":
            assert row["price"] > row["reference_price"]
        else:
            assert row["price"] < row["reference_price"]


def test_orders_execute_at_the_next_open(candles: pl.DataFrame) -> None:
    btc = candles.filter(pl.col("pair") == "BTC/USD").head(50)
    weight = np.zeros(50)
    weight[20:] = 1.0  # decided at bar 20's close
    frame = btc.with_columns(pl.Series("target", weight))
    result = run_backtest(frame, costs=CostModel.zero(), initial_cash=1000.0)
    trade = result.trades.row(0, named=True)
    assert result.trades.height == 1
    assert trade["timestamp"] == frame["timestamp"][21]
    assert trade["price"] == frame["open"][21]
    # Without costs or rounding, holding returns exactly the price move from that open.
    assert result.equity["equity"][-1] == pytest.approx(
        1000.0 * frame["close"][-1] / frame["open"][21]
    )
    assert (result.equity["equity"].head(21) == 1000.0).all()


def test_fees_follow_liquidity_and_slippage_costs_money(candles: pl.DataFrame) -> None:
    taker = _run(candles, CostModel(liquidity="taker"))
    maker = _run(candles, CostModel(liquidity="maker"))
    free = _run(candles, CostModel.zero())
    first = maker.trades.row(0, named=True)
    assert first["fee"] == pytest.approx(first["notional"] * 0.0025)
    # A maker fill pays no spread: only rounding to the tick moves it off the reference.
    gap = (maker.trades["price"] - maker.trades["reference_price"]).abs()
    assert (gap < 0.1 + 1e-9).all()
    assert free.trades["fee"].sum() == 0
    assert taker.equity["equity"][-1] < maker.equity["equity"][-1] < free.equity["equity"][-1]


def test_orders_below_minimum_are_skipped_and_counted(candles: pl.DataFrame) -> None:
    btc = candles.filter(pl.col("pair") == "BTC/USD")
    result = run_backtest(btc, instruments={"BTC/USD": BTC}, initial_cash=2.0)  # < 0.0001 BTC
    assert result.trades.height == 0
    assert result.skipped_orders > 0
    assert result.equity["equity"][-1] == 2.0


def test_same_input_same_output(candles: pl.DataFrame) -> None:
    a, b = _run(candles), _run(candles)
    assert a.trades.equals(b.trades)
    assert a.equity.equals(b.equity)


def test_short_positions_profit_when_price_falls() -> None:
    frame = pl.DataFrame(
        {
            "timestamp": pl.datetime_range(
                pl.datetime(2024, 1, 1, time_zone="UTC"),
                pl.datetime(2024, 1, 1, 4, time_zone="UTC"),
                "1h",
                eager=True,
            ),
            "open": [100.0, 100.0, 90.0, 80.0, 80.0],
            "close": [100.0, 90.0, 80.0, 80.0, 80.0],
            "target": [-1.0, -1.0, -1.0, 0.0, 0.0],
        }
    )
    result = run_backtest(frame, costs=CostModel.zero(), initial_cash=100.0)
    assert result.trades["side"].to_list() == ["sell", "buy"]
    assert result.equity["equity"][-1] == pytest.approx(100.0 + 1.0 * (100.0 - 80.0))


def test_signals_to_positions_hysteresis_and_shorts() -> None:
    score = np.array([0.5, 0.7, 0.52, 0.4, 0.52, np.nan, 0.6])
    assert signals_to_positions(score, 0.55, 0.45).tolist() == [0, 1, 1, 0, 0, 0, 1]
    shorts = signals_to_positions(score, 0.55, 0.45, allow_short=True)
    assert shorts.tolist() == [0, 1, 1, -1, -1, 0, 1]
    with pytest.raises(ValueError, match="short_threshold"):
        signals_to_positions(score, 0.4, 0.6)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda f: f.drop("open"), "open"),
        (lambda f: f.with_columns(pl.lit(-1.0).alias("close")), "positive"),
        (lambda f: f.head(0), "no candles"),
        (lambda f: f.with_columns(pl.lit(float("nan")).alias("open")), "NaN"),
    ],
)
def test_bad_input_is_refused(
    candles: pl.DataFrame, change: Callable[[pl.DataFrame], pl.DataFrame], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        run_backtest(change(candles))


def test_cost_model_rejects_negative_values() -> None:
    with pytest.raises(ValueError, match="taker_fee"):
        CostModel(taker_fee=-0.1)
    assert math.isclose(CostModel().impact(0.0001), 0.0002)


def test_spread_column_sets_the_half_spread_paid() -> None:
    start = pl.datetime(2024, 1, 1, time_zone="UTC")
    frame = pl.DataFrame(
        {
            "timestamp": pl.datetime_range(start, start + pl.duration(hours=2), "1h", eager=True),
            "open": [100.0, 100.0, 100.0],
            "close": [100.0, 100.0, 100.0],
            "spread": [0.002, 0.002, 0.002],  # 20 bps full spread
            "target": [1.0, 1.0, 1.0],
        }
    )
    costs = CostModel(taker_fee=0.0, slippage_bps=0.0)
    trade = run_backtest(frame, costs=costs, initial_cash=100.0).trades.row(0, named=True)
    assert trade["price"] == pytest.approx(100.1)  # half of 20 bps above the open
    assert trade["slippage_cost"] == pytest.approx(trade["quantity"] * 0.1)


def test_pairs_with_different_bars_keep_their_last_equity() -> None:
    start = pl.datetime(2024, 1, 1, time_zone="UTC")
    hours = pl.datetime_range(start, start + pl.duration(hours=3), "1h", eager=True)
    a = pl.DataFrame({"timestamp": hours, "open": 1.0, "close": [1.0, 2.0, 2.0, 2.0]})
    b = pl.DataFrame({"timestamp": hours[2:], "open": 1.0, "close": 1.0})
    frame = pl.concat(
        [
            a.with_columns(pl.lit("A/USD").alias("pair"), pl.lit(1.0).alias("target")),
            b.with_columns(pl.lit("B/USD").alias("pair"), pl.lit(0.0).alias("target")),
        ]
    )
    result = run_backtest(frame, costs=CostModel.zero(), initial_cash=200.0)
    assert result.equity["equity_B/USD"].to_list() == [100.0] * 4  # before its first bar: cash
    # A buys 100 units at bar 1's open of 1.0; they are worth 2.0 at every later close.
    assert result.equity["equity"].to_list() == [200.0, 300.0, 300.0, 300.0]
