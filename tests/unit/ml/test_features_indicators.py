"""Each indicator against the ``ta`` library (pandas) on real Kraken XBT/USD hourly candles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
import ta

from src.ml.features import FeatureSpec, build_features

RTOL = 1e-9  # both sides are float64 recursions over the same inputs; only rounding differs


@pytest.fixture(scope="module")
def candles(btc_hourly: pl.DataFrame) -> pl.DataFrame:
    return btc_hourly


@pytest.fixture(scope="module")
def frame(candles: pl.DataFrame) -> pd.DataFrame:
    return candles.to_pandas()


def _one(candles: pl.DataFrame, kind: str, **kwargs: object) -> pl.DataFrame:
    spec = FeatureSpec.from_dict({"features": [{"kind": kind, **kwargs}]})
    return build_features(candles, spec)


def _assert_matches(ours: pl.Series, ref: pd.Series, warmup: int) -> None:
    got = ours.to_numpy()
    want = ref.to_numpy(dtype=float)
    assert ours[:warmup].null_count() == warmup, "warm-up rows must be null"
    assert ours[warmup:].null_count() == 0, "no nulls after the warm-up"
    np.testing.assert_allclose(got[warmup:], want[warmup:], rtol=RTOL, atol=1e-9)


def test_rsi_matches_ta_wilder(candles: pl.DataFrame, frame: pd.DataFrame) -> None:
    for n in (6, 14):
        ref = ta.momentum.RSIIndicator(frame["close"], window=n).rsi()
        _assert_matches(_one(candles, "rsi", windows=(n,))[f"rsi_{n}"], ref, n - 1)


def test_macd_line_signal_hist_match_ta(candles: pl.DataFrame, frame: pd.DataFrame) -> None:
    ours = _one(candles, "macd")
    ref = ta.trend.MACD(frame["close"], window_slow=26, window_fast=12, window_sign=9)
    _assert_matches(ours["macd_12_26_9"], ref.macd(), 25)
    _assert_matches(ours["macd_signal_12_26_9"], ref.macd_signal(), 33)
    _assert_matches(ours["macd_hist_12_26_9"], ref.macd_diff(), 33)


def test_macd_normalized_is_line_over_close(candles: pl.DataFrame) -> None:
    raw = _one(candles, "macd")["macd_12_26_9"]
    rel = _one(candles, "macd", params={"normalize": True})["macd_12_26_9_rel"]
    np.testing.assert_allclose(
        rel[25:].to_numpy(), (raw / candles["close"])[25:].to_numpy(), rtol=1e-12
    )


def test_atr_matches_ta_wilder(candles: pl.DataFrame, frame: pd.DataFrame) -> None:
    for n in (5, 14):
        ref = ta.volatility.AverageTrueRange(
            frame["high"], frame["low"], frame["close"], window=n
        ).average_true_range()
        _assert_matches(_one(candles, "atr", windows=(n,))[f"atr_{n}"], ref, n - 1)


def _exact_pctb(close: np.ndarray, n: int, k: float) -> np.ndarray:
    """%B from a two-pass mean/std over each window (no running-sum cancellation)."""
    win = np.lib.stride_tricks.sliding_window_view(close, n)
    mid, std = win.mean(axis=1), win.std(axis=1)
    pctb: np.ndarray = (close[n - 1 :] - (mid - k * std)) / (2 * k * std)
    return np.concatenate([np.full(n - 1, np.nan), pctb])


def test_bollinger_pctb_matches_ta(candles: pl.DataFrame, frame: pd.DataFrame) -> None:
    for n, k in ((20, 2.0), (10, 3.0)):
        ours = _one(candles, "bollinger", windows=(n,), params={"num_std": k})[f"bb_pctb_{n}"]
        ref = ta.volatility.BollingerBands(frame["close"], window=n, window_dev=k)
        exact = pd.Series(_exact_pctb(candles["close"].to_numpy(), n, k))
        _assert_matches(ours, exact, n - 1)
        # pandas' rolling std (used by ta) keeps running sums of x and x^2; with BTC near
        # 30-60k and hourly stds of tens of dollars that cancellation costs ta ~2e-7 in %B
        # (measured against the two-pass value above), so ta is matched to 1e-6 absolute.
        np.testing.assert_allclose(
            ours[n - 1 :].to_numpy(), ref.bollinger_pband()[n - 1 :].to_numpy(), atol=1e-6
        )


def test_returns_match_ta_log_return_and_pandas(candles: pl.DataFrame, frame: pd.DataFrame) -> None:
    ours = _one(candles, "returns", windows=(1, 4, 24))
    one_bar = ta.others.DailyLogReturnIndicator(frame["close"]).daily_log_return() / 100.0
    _assert_matches(ours["ret_1"], one_bar, 1)
    for h in (4, 24):
        _assert_matches(ours[f"ret_{h}"], np.log(frame["close"] / frame["close"].shift(h)), h)


def test_realized_vol_and_volume_z_match_pandas(candles: pl.DataFrame, frame: pd.DataFrame) -> None:
    ours = _one(candles, "realized_vol", windows=(24,))["rvol_24"]
    _assert_matches(ours, np.log(frame["close"]).diff().rolling(24).std(), 24)
    vol = frame["volume"]
    z = (vol - vol.rolling(24).mean()) / vol.rolling(24).std()
    _assert_matches(_one(candles, "volume_z", windows=(24,))["vol_z_24"], z, 23)


def test_candle_shape_parts_sum_to_one(candles: pl.DataFrame) -> None:
    shape = _one(candles, "candle_shape")
    rng = candles["high"] - candles["low"]
    moving = (rng > 0).to_numpy()
    total = (shape["body"].abs() + shape["upper_wick"] + shape["lower_wick"]).to_numpy()
    np.testing.assert_allclose(total[moving], 1.0, rtol=1e-12)
    assert (shape["upper_wick"] >= 0).all() and (shape["lower_wick"] >= 0).all()
    expected = ((candles["close"] - candles["open"]) / rng).to_numpy()
    np.testing.assert_allclose(shape["body"].to_numpy()[moving], expected[moving], rtol=1e-12)


def test_time_features_follow_the_utc_clock(candles: pl.DataFrame) -> None:
    feats = _one(candles, "time")
    ts = candles["timestamp"].to_pandas()
    day = (ts.dt.hour * 60 + ts.dt.minute) / 1440.0
    week = (ts.dt.day_of_week + day) / 7.0
    np.testing.assert_allclose(feats["tod_sin"].to_numpy(), np.sin(2 * np.pi * day), atol=1e-12)
    np.testing.assert_allclose(feats["tod_cos"].to_numpy(), np.cos(2 * np.pi * day), atol=1e-12)
    np.testing.assert_allclose(feats["dow_sin"].to_numpy(), np.sin(2 * np.pi * week), atol=1e-12)
    np.testing.assert_allclose(feats["dow_cos"].to_numpy(), np.cos(2 * np.pi * week), atol=1e-12)
