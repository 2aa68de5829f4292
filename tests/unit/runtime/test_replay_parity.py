"""Event-driven replay through the runtime vs the ML pipeline's vectorized backtest.

Same shipped Kraken hourly candles (BTC/USD, 600 bars), same moving-average-cross targets, same
fee (0.26 % taker, no spread, no slippage), both executing the target decided at a bar's close
at the next bar's open. The replay runs the real runtime loop (``step``: quotes, candles,
sizing, risk, order manager, SQLite, fills) against ``SimEngine``.

What must agree exactly: which bars trade, the sides, the fill prices, and so each round trip's
return. What differs, and why (bounded by the stated tolerance on the total return):

* size: the backtest compounds (each trade uses the sleeve's whole equity at the fill price,
  minus room for the fee); the runtime trades a fixed quote amount sized at the decision
  close. Returns per unit of capital are therefore close but not identical;
* quantities round down to the lot step in both, from slightly different amounts.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from src.core.clock import ManualClock
from src.core.execution import Side
from src.core.instruments import Instrument
from src.core.kill_switch import KillSwitch
from src.core.market_data import Candle
from src.core.order_store import OrderStore
from src.core.risk import RiskLimits, RiskManager
from src.core.runtime import RuntimeConfig, TradingRuntime
from src.core.sizing import SizingConfig
from src.core.strategy import MovingAverageCross
from src.ml.backtest.costs import CostModel
from src.ml.backtest.engine import run_backtest
from src.ml.data.sources import read_kraken_ohlcvt_csv
from src.venues.sim_engine import SimEngine
from tests.support.paths import MARKET_DATA
from tests.support.runtime import START, ListCandles

DATA = MARKET_DATA / "kraken-ohlcvt-60m/XBTUSD_60_2021_2023.csv"
FEE = Decimal("0.0026")
CAPITAL = Decimal(10_000)
#: Total return difference allowed between the two, in percentage points of capital.
TOLERANCE_PCT = 0.5


def _candles() -> list[Candle]:
    frame = read_kraken_ohlcvt_csv(DATA).slice(2000, 600)
    out = []
    for r in frame.iter_rows(named=True):
        prices = {k: Decimal(str(r[k])) for k in ("open", "high", "low", "close", "volume")}
        out.append(
            Candle(symbol="BTC/USD", interval_minutes=60, timestamp=r["timestamp"], **prices)
        )
    return out


@pytest.fixture
def btc() -> Instrument:
    return Instrument(symbol="BTC/USD", base="BTC", quote="USD", price_tick=Decimal("0.1"),
                      lot_step=Decimal("0.00000001"), min_quantity=Decimal("0.0001"))  # fmt: skip


def _vectorized(candles: list[Candle], btc: Instrument) -> tuple[pl.DataFrame, float]:
    strategy = MovingAverageCross(["BTC/USD"], fast=5, slow=20, interval_minutes=60)
    weights = [float(strategy.on_candle(c)[0].weight) for c in candles]
    frame = pl.DataFrame({
        "timestamp": [c.timestamp for c in candles], "pair": ["BTC/USD"] * len(candles),
        "open": [float(c.open) for c in candles], "close": [float(c.close) for c in candles],
        "target": weights,
    })  # fmt: skip
    costs = CostModel(taker_fee=float(FEE), spread_bps=0.0, slippage_bps=0.0)
    result = run_backtest(frame, costs=costs, instruments={"BTC/USD": btc},
                          initial_cash=float(CAPITAL))  # fmt: skip
    total = result.equity["equity"][-1] / float(CAPITAL) - 1
    return result.trades, total


async def _replay(candles: list[Candle], btc: Instrument, tmp: Path) -> TradingRuntime:
    clock = ManualClock(wall_start=START)
    engine = SimEngine({"BTC/USD": btc}, {"USD": CAPITAL * 2}, clock=clock, taker_fee=FEE)
    feed = ListCandles(candles)
    limits = RiskLimits(
        max_order_notional=CAPITAL * 2, max_position_notional=CAPITAL * 2,
        max_gross_exposure=CAPITAL * 2, price_band_bps=Decimal(5000),
        daily_loss_limit=Decimal(0), max_drawdown_pct=Decimal(0), kill_file=None,
    )  # fmt: skip
    runtime = TradingRuntime(
        engine, MovingAverageCross(["BTC/USD"], fast=5, slow=20, interval_minutes=60),
        store=OrderStore(tmp / "replay.sqlite"), risk=RiskManager(limits, clock, KillSwitch()),
        clock=clock, candles=feed, quotes=engine,
        config=RuntimeConfig(sizing=SizingConfig(capital_per_pair=CAPITAL,
                                                 rebalance_threshold=Decimal("0.9")),
                             reconcile_seconds=10**9, status_seconds=10**9),
        status_sink=lambda line: None,
    )  # fmt: skip
    engine.set_price("BTC/USD", candles[0].open)
    await runtime.start()
    for i in range(len(candles) - 1):
        # The decision at this close fills at the next bar's open, as in the backtest.
        engine.set_price("BTC/USD", candles[i + 1].open)
        feed.released = i + 1
        await runtime.step()
        clock.advance(3600)
    return runtime


async def test_replay_agrees_with_vectorized_backtest(btc: Instrument, tmp_path: Path) -> None:
    candles = _candles()
    trades, vector_return = _vectorized(candles, btc)
    runtime = await _replay(candles, btc, tmp_path)
    fills = runtime.store.fills()
    opens = {c.timestamp: c.open for c in candles}

    assert len(trades) >= 10, "the slice should make the strategy trade"
    assert [f.side.value for f in fills] == trades["side"].to_list()
    assert [float(f.price) for f in fills] == trades["price"].to_list()
    # Each fill happened at the open of the bar the backtest executed on.
    assert [opens[t] for t in trades["timestamp"].to_list()] == [f.price for f in fills]
    # Round trips: identical returns per unit (same prices, same fee rate).
    buys = [f for f in fills if f.side is Side.BUY]
    sells = [f for f in fills if f.side is Side.SELL]
    assert len(buys) - len(sells) in (0, 1)

    last_close = candles[-1].close
    runtime.portfolio.mark("BTC/USD", last_close)
    replay_return = float(runtime.portfolio.net_pnl / CAPITAL)
    difference_pct = abs(replay_return - vector_return) * 100
    print(f"replay {replay_return:.4%} vs vectorized {vector_return:.4%}, {len(fills)} trades")
    assert difference_pct <= TOLERANCE_PCT, (replay_return, vector_return)
