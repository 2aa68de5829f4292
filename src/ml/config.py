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
        kind: ``forward_return`` (regression), ``direction`` (classification with a dead zone)
            or ``triple_barrier`` (classification: did the profit-take barrier hit first).
        horizon: Bars looked ahead.
        dead_zone: |forward return| below this is unlabeled (``direction`` only).
        profit_take: Profit-take barrier as a return net of fees (``triple_barrier``).
        stop_loss: Stop-loss barrier as a positive return magnitude (``triple_barrier``).
    """

    kind: Literal["forward_return", "direction", "triple_barrier"] = "direction"
    horizon: int = Field(default=4, gt=0)
    dead_zone: float = Field(default=0.0, ge=0.0)
    profit_take: float = Field(default=0.01, gt=0.0)
    stop_loss: float = Field(default=0.01, gt=0.0)


class SplitConfig(_Frozen):
    """Walk-forward layout in bars (timestamps, shared by all pairs).

    Attributes:
        scheme: ``expanding`` (train grows from the start) or ``sliding`` (fixed length).
        n_folds: Number of consecutive test windows.
        train_size: Minimum (expanding) or exact (sliding) training bars.
        test_size: Bars per test window.
        embargo: Extra bars dropped between training and testing, on top of the label horizon.
    """

    scheme: Literal["expanding", "sliding"] = "expanding"
    n_folds: int = Field(default=4, gt=0)
    train_size: int = Field(default=2000, gt=0)
    test_size: int = Field(default=500, gt=0)
    embargo: int = Field(default=0, ge=0)


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
    """

    tracking_uri: str | None = None
    experiment: str = "kraken-ml"
    registered_model: str = "kraken-signal"
    champion_metric: str = "oos_sharpe"
    champion_floor: float = 0.0
    register_model: bool = True


class ExperimentConfig(_Frozen):
    """A complete training run: data, features, labels, splits, model, costs and tracking.

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
    tracking: TrackingConfig = Field(default_factory=TrackingConfig)
    instruments: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_task(self) -> ExperimentConfig:
        regression = self.label.kind == "forward_return"
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
