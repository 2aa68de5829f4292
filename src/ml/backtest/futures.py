"""Futures backtest: target leverage -> contracts at the next open; marked, funded, liquidated.

The futures counterpart of ``engine.run_backtest`` (same conventions: floats for speed, the
target decided at bar t's close executes at bar t+1's open, taker fee plus slippage). What
futures add is in every figure:

* long and short, sized as ``target * equity`` of contract value (leverage up to
  ``max_leverage``), linear (USD PnL) or inverse (base-currency PnL) contracts;
* equity marked at the **mark** (``mark`` column, else ``close * (1 + basis)``), not the last
  trade, so the basis moves equity;
* funding at every funding period inside a bar: a position of ``q`` receives
  ``-q * absolute_rate`` per period (``relative * mark`` linear, ``relative / mark`` inverse;
  positive rates make longs pay), from a ``funding_rate`` column or a constant;
* liquidation: when the bar's adverse mark extreme (``low``/``high`` scaled by mark/close)
  reaches the price where equity equals maintenance margin, the position is closed there with
  the taker fee; equity never goes below zero;
* settlement of a fixed maturity (a contract with an ``expiry`` inside the candles): at the
  open of the first bar at or after the expiry the position is closed at that open, the
  underlying's price (the basis is gone at expiry), with the taker fee, as the venue does;
  the contract then trades no more and the rest of the path is flat at the cash.

Bars are walked one by one: funding and the liquidation check change every bar.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import numpy as np
import polars as pl

from src.core.derivatives import DerivativeInstrument, Settlement

__all__ = ["FuturesBacktestResult", "FuturesCosts", "run_futures_backtest"]


@dataclass(frozen=True)
class FuturesCosts:
    """Fees, slippage and basis assumptions of a futures backtest.

    Attributes:
        taker_fee: fee fraction of each fill's value (Kraken Futures tier 0: 0.05 %).
        slippage_bps: adverse move per fill, bps.
        basis: mark / close - 1 when the candles carry no ``mark`` column.
        funding_rate: relative funding per period when there is no ``funding_rate`` column.
        max_leverage: targets are clamped to +/- this.
    """

    taker_fee: float = 0.0005
    slippage_bps: float = 1.0
    basis: float = 0.0
    funding_rate: float = 0.0
    max_leverage: float = 2.0


@dataclass
class FuturesBacktestResult:
    """Fills, the per-bar path and totals.

    Attributes:
        trades: ``timestamp, side, quantity, price, fee, kind`` (``trade``, ``liquidation``
            or ``settlement``).
        path: per bar: ``timestamp, mark, position, equity, funding, liquidation_price``
            (funding is the bar's payment, + received).
        initial_equity: starting collateral (settlement currency).
        totals: ``fees``, ``funding``, ``liquidations``, ``settled`` (1 when a fixed maturity
            expired inside the candles), ``final_equity``.
    """

    trades: pl.DataFrame
    path: pl.DataFrame
    initial_equity: float
    totals: dict[str, float] = field(default_factory=dict)


@dataclass
class _Book:
    contract: DerivativeInstrument
    cash: float
    qty: float = 0.0
    entry: float = 0.0

    @property
    def linear(self) -> bool:
        return self.contract.settlement is Settlement.LINEAR

    def pnl(self, price: float) -> float:
        size = self.qty * float(self.contract.contract_size)
        if size == 0:
            return 0.0
        return size * (price - self.entry) if self.linear else size * (1 / self.entry - 1 / price)

    def value(self, qty: float, price: float) -> float:
        size = abs(qty) * float(self.contract.contract_size)
        return size * price if self.linear else size / price

    def maintenance_rate(self, qty: float, price: float) -> float:
        if not self.contract.margin_tiers:
            return 0.0
        tier = self.contract.tier(Decimal(str(float(qty))), Decimal(str(float(price))))
        return float(tier.maintenance_rate)

    def trade(self, delta: float, price: float, fee: float) -> None:
        qty, entry = self.qty, self.entry
        if qty == 0 or (qty > 0) == (delta > 0):
            total = qty + delta
            if self.linear:
                self.entry = (abs(qty) * entry + abs(delta) * price) / abs(total)
            else:
                self.entry = abs(total) / (abs(qty) / entry + abs(delta) / price) if qty else price
            self.qty = total
        else:
            closed = math.copysign(min(abs(delta), abs(qty)), qty)
            size = closed * float(self.contract.contract_size)
            realized = size * (price - entry) if self.linear else size * (1 / entry - 1 / price)
            self.cash += realized
            self.qty = qty + delta
            if self.qty == 0:
                self.entry = 0.0
            elif (self.qty > 0) != (qty > 0):
                self.entry = price
        self.cash = max(0.0, self.cash - fee)

    def liquidation_price(self) -> float | None:
        if self.qty == 0:
            return None
        q = self.qty * float(self.contract.contract_size)
        m = self.maintenance_rate(self.qty, self.entry)
        if self.linear:
            num, den = q * self.entry - self.cash, q - abs(q) * m
        else:
            num, den = q + abs(q) * m, self.cash + q / self.entry
        if den == 0:
            return None
        price = num / den
        return price if price > 0 else None


def _column(frame: pl.DataFrame, name: str, default: np.ndarray) -> np.ndarray:
    if name not in frame.columns:
        return default
    return frame[name].fill_null(np.nan).to_numpy().astype(float)


def _periods_per_bar(frame: pl.DataFrame, interval: timedelta | None) -> float:
    if interval is None or frame.height < 2:
        return 0.0 if interval is None else 1.0
    step = frame["timestamp"][1] - frame["timestamp"][0]
    return float(step / interval)


def run_futures_backtest(
    candles: pl.DataFrame,
    contract: DerivativeInstrument,
    weight_col: str = "target",
    *,
    costs: FuturesCosts | None = None,
    initial_equity: float = 10_000.0,
) -> FuturesBacktestResult:
    """Backtest target leverage on one futures contract.

    Args:
        candles: ``timestamp``, ``open``, ``high``, ``low``, ``close``, the weight column and
            optionally ``mark`` and ``funding_rate`` (relative, per funding period), evenly
            spaced.
        contract: the contract (linear or inverse; its margin tiers set maintenance).
        weight_col: target leverage decided at each bar's close (-1 = 1x short).
        costs: fees, slippage, basis and funding assumptions.
        initial_equity: starting collateral in the settlement currency (USD for linear,
            the base for inverse).
    """
    costs = costs or FuturesCosts()
    opens, highs, lows, closes = (
        candles[c].to_numpy().astype(float) for c in ("open", "high", "low", "close")
    )
    marks = _column(candles, "mark", closes * (1 + costs.basis))
    rates = np.nan_to_num(
        _column(candles, "funding_rate", np.full(len(closes), costs.funding_rate))
    )
    raw = np.clip(
        np.nan_to_num(candles[weight_col].to_numpy().astype(float)),
        -costs.max_leverage,
        costs.max_leverage,
    )
    targets = np.concatenate(([0.0], raw[:-1]))  # decided at t's close, done at t+1's open
    periods = _periods_per_bar(candles, contract.funding_interval)
    book = _Book(contract, initial_equity)
    lot = float(contract.lot_step)
    trades: list[tuple[int, str, float, float, float, str]] = []
    path: list[tuple[float, float, float, float, float | None]] = []
    fees = funding_total = 0.0
    liquidations = 0
    last_target = 0.0
    expiry_bar = _expiry_bar(candles, contract)
    for i in range(len(closes)):
        if expiry_bar is not None and i >= expiry_bar:
            if i == expiry_bar and book.qty:
                fees += _close(book, opens[i], costs, trades, i, "settlement")
            path.append((closes[i], 0.0, book.cash, 0.0, None))
            continue
        ratio = marks[i] / closes[i]
        if targets[i] != last_target:
            fees += _rebalance(book, targets[i], opens[i] * ratio, opens[i], costs, lot, trades, i)
            last_target = targets[i]
        liq = book.liquidation_price()
        adverse = (lows[i] if book.qty > 0 else highs[i]) * ratio
        if liq is not None and (adverse <= liq if book.qty > 0 else adverse >= liq):
            fees += _close(book, liq, costs, trades, i, "liquidation")
            liquidations += 1
        payment = 0.0
        if book.qty and periods:
            size = book.qty * float(contract.contract_size)
            absolute = rates[i] * marks[i] if book.linear else rates[i] / marks[i]
            payment = -size * absolute * periods
            book.cash = max(0.0, book.cash + payment)
            funding_total += payment
        equity = max(0.0, book.cash + book.pnl(marks[i]))
        path.append((marks[i], book.qty, equity, payment, book.liquidation_price()))
    result = _result(candles, trades, path, initial_equity, fees, funding_total, liquidations)
    result.totals["settled"] = 1.0 if expiry_bar is not None else 0.0
    return result


def _expiry_bar(candles: pl.DataFrame, contract: DerivativeInstrument) -> int | None:
    """The first bar opening at or after a fixed maturity's expiry (None: it never comes)."""
    if contract.is_perpetual or contract.expiry is None or candles.height == 0:
        return None
    after = (candles["timestamp"] >= contract.expiry).arg_true()
    return int(after[0]) if after.len() else None


def _close(
    book: _Book, price: float, costs: FuturesCosts,
    trades: list[tuple[int, str, float, float, float, str]], i: int, kind: str,
) -> float:  # fmt: skip
    """Close the whole position at ``price`` with the taker fee (a liquidation, a settlement)."""
    fee = book.value(book.qty, price) * costs.taker_fee
    trades.append((i, "sell" if book.qty > 0 else "buy", abs(book.qty), price, fee, kind))
    book.trade(-book.qty, price, fee)
    return fee


def _rebalance(
    book: _Book, target: float, mark: float, open_price: float, costs: FuturesCosts, lot: float,
    trades: list[tuple[int, str, float, float, float, str]], i: int,
) -> float:  # fmt: skip
    equity = max(0.0, book.cash + book.pnl(mark))
    per_contract = book.value(1.0, open_price)
    wanted = target * equity / per_contract if per_contract else 0.0
    wanted = math.copysign(math.floor(abs(wanted) / lot + 1e-9) * lot, wanted)
    delta = wanted - book.qty
    if abs(delta) < lot / 2:
        return 0.0
    slip = costs.slippage_bps / 10_000
    price = open_price * (1 + slip if delta > 0 else 1 - slip)
    fee = book.value(delta, price) * costs.taker_fee
    trades.append((i, "buy" if delta > 0 else "sell", abs(delta), price, fee, "trade"))
    book.trade(delta, price, fee)
    return fee


def _result(
    candles: pl.DataFrame, trades: list[tuple[int, str, float, float, float, str]],
    path: list[tuple[float, float, float, float, float | None]], initial: float, fees: float,
    funding: float, liquidations: int,
) -> FuturesBacktestResult:  # fmt: skip
    stamps = candles["timestamp"]
    trade_frame = pl.DataFrame(
        {
            "timestamp": stamps.gather([t[0] for t in trades]),
            "side": [t[1] for t in trades], "quantity": [t[2] for t in trades],
            "price": [t[3] for t in trades], "fee": [t[4] for t in trades],
            "kind": [t[5] for t in trades],
        },
        schema={"timestamp": stamps.dtype, "side": pl.Utf8, "quantity": pl.Float64,
                "price": pl.Float64, "fee": pl.Float64, "kind": pl.Utf8},
    )  # fmt: skip
    path_frame = pl.DataFrame(
        {
            "timestamp": stamps, "mark": [p[0] for p in path], "position": [p[1] for p in path],
            "equity": [p[2] for p in path], "funding": [p[3] for p in path],
            "liquidation_price": [p[4] for p in path],
        },
        schema_overrides={"liquidation_price": pl.Float64},
    )  # fmt: skip
    totals = {
        "fees": fees, "funding": funding, "liquidations": float(liquidations),
        "final_equity": path[-1][2] if path else initial,
    }  # fmt: skip
    return FuturesBacktestResult(trade_frame, path_frame, initial, totals)
