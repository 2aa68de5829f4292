"""Experiment configuration for training runs, loaded from TOML and validated by pydantic."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from src.core.errors import ConfigurationError
from src.core.instruments import Instrument


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DataConfig(_Frozen):
    """Which candles to train on.

    Attributes:
        pairs: Pair symbols, e.g. ``["BTC/USD", "ETH/USD"]``.
        files: Optional map pair -> CSV path (Kraken OHLCVT, headerless); defaults derive from
            ``data_dir`` and the Kraken altname (``XBTUSD_60*.csv``).
        data_dir: Folder holding Kraken OHLCVT CSV files.
        interval_minutes: Candle interval.
        start: Inclusive ISO date/time (UTC) or None for the first row.
        end: Exclusive ISO date/time (UTC) or None for the last row.
        max_rows: Keep only the last ``max_rows`` candles per pair (bounds run time).
    """

    pairs: list[str] = Field(default_factory=lambda: ["BTC/USD", "ETH/USD"], min_length=1)
    files: dict[str, str] = Field(default_factory=dict)
    data_dir: str = "data/market/kraken-ohlcvt-60m"
    interval_minutes: int = Field(default=60, gt=0)
    start: str | None = None
    end: str | None = None
    max_rows: int | None = Field(default=None, gt=0)


class LabelConfig(_Frozen):
    """Target definition; ``horizon`` bars is also the purge gap of the walk-forward splits.

    Attributes:
        kind: ``forward_return`` (regression), ``net_return`` (regression: the forward return
            minus the round-trip cost of the configured costs), ``direction`` (classification
            with a dead zone), ``net_direction`` (classification: 1 when a long held for the
            horizon pays its round trip), ``triple_barrier`` (classification: did the
            profit-take barrier hit first) or ``meta`` (classification: does the primary
            rule's trade pay its round trip; rows where the rule is flat are unlabeled).
        horizon: Bars looked ahead; for ``triple_barrier`` the maximum holding period.
        dead_zone: |forward return| below this is unlabeled (``direction`` only).
        profit_take: Profit-take barrier as a return net of costs (``triple_barrier``); with
            ``barrier_scale = "volatility"`` a multiple of the trailing volatility over the
            horizon instead.
        stop_loss: Stop-loss barrier as a positive magnitude, scaled like ``profit_take``.
        barrier_scale: ``fixed`` (returns) or ``volatility`` (multiples of sigma x sqrt(horizon),
            sigma the trailing per-bar volatility of log returns over ``vol_window`` bars).
        vol_window: Bars of the trailing volatility (volatility barriers, the meta rule).
        primary_window: ``meta``: the primary rule is momentum over this many bars, long when
            the close is above the close ``primary_window`` bars earlier (short below it when
            ``strategy.allow_short``).
    """

    kind: Literal[
        "forward_return", "net_return", "direction", "net_direction", "triple_barrier", "meta"
    ] = "direction"
    horizon: int = Field(default=4, gt=0)
    dead_zone: float = Field(default=0.0, ge=0.0)
    profit_take: float = Field(default=0.01, gt=0.0)
    stop_loss: float = Field(default=0.01, gt=0.0)
    barrier_scale: Literal["fixed", "volatility"] = "fixed"
    vol_window: int = Field(default=72, ge=2)
    primary_window: int = Field(default=24, gt=0)

    @property
    def regression(self) -> bool:
        """Whether the label is a return to regress on (else a class to predict)."""
        return self.kind in ("forward_return", "net_return")


class SplitConfig(_Frozen):
    """Walk-forward layout in bars (timestamps, shared by all pairs).

    Attributes:
        scheme: ``expanding`` (train grows from the start) or ``sliding`` (fixed length).
        n_folds: Number of consecutive test windows.
        train_size: Minimum (expanding) or exact (sliding) training bars.
        test_size: Bars per test window.
        embargo: Extra bars dropped between training and testing, on top of the label horizon.
        holdout_fraction: Share of the last bars kept as a final holdout: no fold trains or
            tests on it, no selection (champion gate, thresholds) reads it; it is reported
            apart as ``holdout_*``. 0 disables it.
        holdout_gap: Bars dropped between the walk-forward region and the holdout (None: label
            horizon + embargo, so no walk-forward label looks into the holdout).
    """

    scheme: Literal["expanding", "sliding"] = "expanding"
    n_folds: int = Field(default=4, gt=0)
    train_size: int = Field(default=2000, gt=0)
    test_size: int = Field(default=500, gt=0)
    embargo: int = Field(default=0, ge=0)
    holdout_fraction: float = Field(default=0.15, ge=0.0, lt=1.0)
    holdout_gap: int | None = Field(default=None, ge=0)


class ModelConfig(_Frozen):
    """Model kind and its hyper-parameters (passed to the estimator)."""

    kind: Literal[
        "lgbm_classifier",
        "lgbm_regressor",
        "logistic",
        "random_forest",
        "random_forest_regressor",
        "dummy_classifier",
        "dummy_regressor",
    ] = "lgbm_classifier"
    params: dict[str, Any] = Field(default_factory=dict)


class CostConfig(_Frozen):
    """Trading costs (Kraken spot, 2025 starter tier by default).

    Attributes:
        taker_fee: Taker fee as a fraction (0.004 = 0.40 %).
        maker_fee: Maker fee as a fraction (0.0025 = 0.25 %).
        liquidity: Which fee applies: ``taker`` (market orders at next open) or ``maker``.
        spread_bps: Assumed full bid/ask spread in basis points; half is paid per trade.
        slippage_bps: Extra adverse slippage per trade in basis points.
    """

    taker_fee: float = Field(default=0.004, ge=0.0, lt=1.0)
    maker_fee: float = Field(default=0.0025, ge=0.0, lt=1.0)
    liquidity: Literal["taker", "maker"] = "taker"
    spread_bps: float = Field(default=2.0, ge=0.0)
    slippage_bps: float = Field(default=1.0, ge=0.0)


class StrategyConfig(_Frozen):
    """How model outputs become target positions.

    Attributes:
        long_threshold: Go long when the score exceeds this (probability or predicted return).
        short_threshold: Go short (if allowed) or flat when the score is below this.
        allow_short: Whether negative positions are allowed.
        initial_cash: Starting capital in quote currency, split evenly across pairs.
    """

    long_threshold: float = 0.55
    short_threshold: float = 0.45
    allow_short: bool = False
    initial_cash: float = Field(default=10_000.0, gt=0.0)


class PolicyConfig(_Frozen):
    """How a model's output becomes target positions (see ``src.ml.policy``).

    Attributes:
        kind: ``threshold`` (the score against ``strategy.long_threshold`` /
            ``short_threshold`` with hysteresis in between, the original layer) or
            ``cost_aware`` (trade only when the expected return, calibrated from the score on
            the training fold, exceeds the round-trip cost of ``[costs]``).
        entry_cost_multiple: Enter when the expected return over the label horizon exceeds
            this multiple of the round-trip cost (fees, half spread and slippage, both ways).
        exit_edge: Leave a position when its expected return falls below this (hysteresis:
            between the exit and the entry level the position is kept).
        min_hold: Bars a position is held at least (None: the label horizon).
        sizing: ``fixed`` (``max_weight``), ``volatility`` (``target_vol`` / the trailing
            volatility over the horizon) or ``kelly`` (``kelly_fraction`` x net edge /
            variance over the horizon); capped at ``max_weight``, fixed while the position is
            held, and no entry below ``min_weight``.
        max_weight: Cap on |weight| (a share of the pair's sleeve).
        min_weight: Smallest entry worth its fees.
        target_vol: Volatility over the horizon a ``volatility``-sized position aims at.
        kelly_fraction: Share of the Kelly weight a ``kelly``-sized position takes.
        vol_window: Bars of the trailing volatility (per-bar standard deviation of log
            returns).
        calibration_fraction: Share of each training window (its last bars) whose scores,
            from a model fitted on the bars before it (purged), calibrate score -> expected
            return; the fold's model itself is fitted on the whole window.
        calibration_bins: Quantile bins of the score averaged before the isotonic fit (so a
            single fat-tailed return cannot set an extreme edge).
    """

    kind: Literal["threshold", "cost_aware"] = "threshold"
    entry_cost_multiple: float = Field(default=1.0, ge=0.0)
    exit_edge: float = 0.0
    min_hold: int | None = Field(default=None, ge=0)
    sizing: Literal["fixed", "volatility", "kelly"] = "fixed"
    max_weight: float = Field(default=1.0, gt=0.0, le=1.0)
    min_weight: float = Field(default=0.05, ge=0.0, le=1.0)
    target_vol: float = Field(default=0.03, gt=0.0)
    kelly_fraction: float = Field(default=0.5, gt=0.0)
    vol_window: int = Field(default=72, ge=2)
    calibration_fraction: float = Field(default=0.3, gt=0.0, lt=1.0)
    calibration_bins: int = Field(default=20, ge=2)


class TrackingConfig(_Frozen):
    """Where runs go and how the champion is chosen.

    Attributes:
        tracking_uri: MLflow URI; None means ``MLFLOW_TRACKING_URI`` or ``sqlite:///mlflow.db``.
        experiment: MLflow experiment name.
        registered_model: Registered model name that carries the ``champion`` alias.
        champion_metric: Out-of-sample metric compared against the current champion.
        champion_floor: The metric must also exceed this (default 0: a losing model after
            costs never becomes champion, even when there is none yet).
        register_model: Whether to register/alias at all.
        min_deflated_sharpe: The deflated Sharpe ratio of the run (the probability that its
            out-of-sample Sharpe beats the best of as many noise trials as the experiment
            holds) must reach this; 0 turns the trial correction off.
    """

    tracking_uri: str | None = None
    experiment: str = "kraken-ml"
    registered_model: str = "kraken-signal"
    champion_metric: str = "oos_sharpe"
    champion_floor: float = 0.0
    register_model: bool = True
    min_deflated_sharpe: float = Field(default=0.95, ge=0.0, le=1.0)


class CheckConfig(_Frozen):
    """Leakage checks run before any model is fitted or promoted (see ``src.ml.leakage``).

    Attributes:
        causality: Recompute every feature on candles altered after a cut, and on candles
            ending at the cut; any value at or before the cut that moves fails the run.
        window_bars: Bars per pair the causality check computes on (the first ones of the
            data; they must cover the longest feature warm-up).
        n_cuts: Cut times per check, drawn from the second half of the window.
        max_feature_rank_ic: A single feature whose |rank IC| with the forward return on the
            walk-forward rows exceeds this is too good to be true.
        max_auc: Out-of-sample (and holdout) AUC above this is too good to be true.
        max_rank_ic: Out-of-sample (and holdout) rank IC above this is too good to be true.
        max_hit_rate: Out-of-sample (and holdout) hit rate above this is too good to be true.
        max_sharpe: Out-of-sample (and holdout) Sharpe after costs above this is too good.
        lookback_tolerance: Live warm-up: the weight left on candles before the live window
            (EMA memory) may be at most this; training checks the live window reproduces the
            batch features to within it.
    """

    causality: bool = True
    window_bars: int = Field(default=1500, gt=10)
    n_cuts: int = Field(default=4, gt=0)
    max_feature_rank_ic: float = Field(default=0.3, gt=0.0)
    max_auc: float = Field(default=0.7, gt=0.5)
    max_rank_ic: float = Field(default=0.3, gt=0.0)
    max_hit_rate: float = Field(default=0.7, gt=0.5)
    max_sharpe: float = Field(default=6.0, gt=0.0)
    lookback_tolerance: float = Field(default=1e-9, gt=0.0, lt=1.0)


class NullConfig(_Frozen):
    """The null the model is judged against: the same model refitted on misaligned labels.

    Attributes:
        draws: Null refits per fold (and on the holdout); each gets its own misalignment.
        kind: ``circular_shift`` rotates each pair's training labels by a random offset;
            ``block_shuffle`` permutes blocks of ``block`` consecutive labels. Both keep the
            labels' autocorrelation, which a row-wise permutation destroys.
        block: Block length in rows per pair (None: 4 x label horizon).
        model_seeds: Seeds the real model is fitted with, for error bars across seeds (the
            first, ``seed``, is the one reported and deployed).
    """

    draws: int = Field(default=16, ge=2)
    kind: Literal["circular_shift", "block_shuffle"] = "circular_shift"
    block: int | None = Field(default=None, gt=0)
    model_seeds: int = Field(default=3, ge=1)


class ComputeConfig(_Frozen):
    """Where the walk-forward folds are fitted (the figures do not depend on it).

    Attributes:
        workers: Folds fitted at once on a local process pool; 1 (the default) fits them one
            after the other in this process.
        ray_address: A Ray cluster (``local`` starts one here) for the folds instead of the
            pool; None: ``RAY_ADDRESS`` when ``workers`` > 1, else no Ray.
    """

    workers: int = Field(default=1, ge=1)
    ray_address: str | None = None


class ExperimentConfig(_Frozen):
    """A complete training run: data, features, labels, splits, model, costs, checks, tracking.

    ``features`` is a :class:`src.ml.features.FeatureSpec` table (None: the default spec).
    ``instruments`` maps a pair to :class:`src.core.instruments.Instrument` fields
    (``price_tick``, ``lot_step``, ``min_quantity``, ``min_cost``) used by the backtest.
    """

    name: str = "default"
    seed: int = 42
    data: DataConfig = Field(default_factory=DataConfig)
    features: dict[str, Any] | None = None
    label: LabelConfig = Field(default_factory=LabelConfig)
    splits: SplitConfig = Field(default_factory=SplitConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    costs: CostConfig = Field(default_factory=CostConfig)
    strategy: StrategyConfig = Field(default_factory=StrategyConfig)
    policy: PolicyConfig = Field(default_factory=PolicyConfig)
    tracking: TrackingConfig = Field(default_factory=TrackingConfig)
    checks: CheckConfig = Field(default_factory=CheckConfig)
    null: NullConfig = Field(default_factory=NullConfig)
    compute: ComputeConfig = Field(default_factory=ComputeConfig)
    instruments: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_task(self) -> ExperimentConfig:
        regression = self.label.regression
        regressor = self.model.kind.endswith("regressor")
        if regression != regressor:
            raise ValueError(
                f"label kind {self.label.kind!r} needs a "
                f"{'regressor' if regression else 'classifier'}, got model {self.model.kind!r}"
            )
        return self


def instruments_from(config: ExperimentConfig) -> dict[str, Instrument]:
    """Build the backtest's instruments from ``config.instruments``."""
    out = {}
    for pair, fields in config.instruments.items():
        base, _, quote = pair.partition("/")
        out[pair] = Instrument(symbol=pair, base=base, quote=quote, **fields)
    return out


def load_config(path: str | Path) -> ExperimentConfig:
    """Read and validate a TOML experiment config.

    Raises:
        ConfigurationError: The file is missing, is not TOML, or fails validation.
    """
    file = Path(path)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigurationError(f"config file not found: {file}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{file}: invalid TOML: {exc}") from exc
    try:
        return ExperimentConfig.model_validate(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{file}: invalid config: {exc}") from exc


DEFAULT_CONFIG_PATH = Path(__file__).parent / "configs" / "default.toml"
