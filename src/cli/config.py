"""The user's config file: where it is, what it may hold (range-checked), how it is written."""

from __future__ import annotations

import difflib
import os
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from src.brokers.credentials import APP_NAME, CONFIG_ENV, user_config_dir
from src.cli.errors import CliError
from src.cli.tomlfile import Value, render, write_private
from src.core.risk import RiskLimits

DATA_ENV = "KTRADE_DATA_DIR"
#: Kraken's OHLC intervals in minutes (src.brokers.kraken.constants.OHLC_INTERVALS).
INTERVALS = (1, 5, 15, 30, 60, 240, 1440, 10080, 21600)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TradingSection(_Section):
    """What trades, with how much (the defaults of ``paper``, ``live`` and ``backtest``)."""

    pairs: list[str] = Field(default_factory=lambda: ["BTC/USD", "ETH/USD"], min_length=1)
    interval_minutes: int = Field(default=60, description="candle minutes: one of Kraken's")
    capital_per_pair: Decimal = Field(default=Decimal(200), gt=0, le=10_000_000)
    strategy: Literal["ma", "model"] = "ma"
    fast: int = Field(default=3, ge=1, le=10_000)
    slow: int = Field(default=8, ge=2, le=10_000)
    model: str = Field(default="kraken-signal@champion", min_length=1)
    tier: Literal["starter", "intermediate", "pro"] | None = None
    paper_gate_hours: float = Field(default=168.0, ge=0, le=24 * 365)
    paper_gate_minutes: float = Field(default=1.0, ge=0, le=24 * 60)

    @model_validator(mode="after")
    def _consistent(self) -> TradingSection:
        if self.interval_minutes not in INTERVALS:
            raise ValueError(
                f"interval_minutes = {self.interval_minutes}: use one of Kraken's "
                f"{', '.join(map(str, INTERVALS))}"
            )
        if self.fast >= self.slow:
            raise ValueError(f"fast = {self.fast} must be below slow = {self.slow}")
        return self


class RiskSection(_Section):
    """The runtime's risk limits (``src.core.risk.RiskLimits``), with sane ranges."""

    allowed_pairs: list[str] | None = None
    max_order_notional: Decimal = Field(default=Decimal(250), gt=0)
    max_position_notional: Decimal = Field(default=Decimal(1000), gt=0)
    max_gross_exposure: Decimal = Field(default=Decimal(2000), gt=0)
    allow_leverage: bool = False
    price_band_bps: Decimal = Field(default=Decimal(200), gt=0, le=5000)
    max_orders_per_minute: int = Field(default=20, ge=1, le=600)
    max_data_age_seconds: float = Field(default=180.0, gt=0, le=7 * 86400)
    daily_loss_limit: Decimal = Field(default=Decimal(100), ge=0)
    max_drawdown_pct: Decimal = Field(default=Decimal(10), ge=0, le=100)
    flatten_on_kill: bool = False
    kill_file: str = "KILL"

    def limits(self, pairs: list[str]) -> RiskLimits:
        """The ``RiskLimits`` in force; ``allowed_pairs`` defaults to the pairs traded."""
        data = self.model_dump()
        data["allowed_pairs"] = frozenset(self.allowed_pairs or pairs)
        data["kill_file"] = self.kill_file or None  # "" turns the kill file off
        return RiskLimits.model_validate(data)


class PathsSection(_Section):
    """Where data goes (``$KTRADE_DATA_DIR``, else your user data directory)."""

    data_dir: str | None = None


class MLSection(_Section):
    """Training: the experiment file and the MLflow store."""

    experiment: str | None = None
    tracking_uri: str | None = None


class UniverseSection(_Section):
    """How ``ktrade universe`` picks pairs (your region's restrictions go in the excludes)."""

    quotes: list[str] = Field(default_factory=lambda: ["USD"], min_length=1)
    min_volume_24h: Decimal = Field(default=Decimal(1_000_000), ge=0)
    max_spread_bps: Decimal = Field(default=Decimal(20), gt=0, le=10_000)
    exclude_bases: list[str] = Field(default_factory=list)
    exclude_pairs: list[str] = Field(default_factory=list)
    max_pairs: int = Field(default=10, ge=1, le=500)


class UserConfig(_Section):
    """The whole file; every table and key is optional."""

    trading: TradingSection = Field(default_factory=TradingSection)
    risk: RiskSection = Field(default_factory=RiskSection)
    paths: PathsSection = Field(default_factory=PathsSection)
    ml: MLSection = Field(default_factory=MLSection)
    universe: UniverseSection = Field(default_factory=UniverseSection)
    # The operator services' tables, checked by their own settings classes when a session
    # starts (src/app/ops_services.py), so the environment can still override each key.
    dashboard: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, Any] = Field(default_factory=dict)
    alerts: dict[str, Any] = Field(default_factory=dict)

    def ops_tables(self) -> dict[str, dict[str, Any]]:
        """The ``[dashboard]``, ``[metrics]`` and ``[alerts]`` tables as written."""
        return {"dashboard": self.dashboard, "metrics": self.metrics, "alerts": self.alerts}

    def data_dir(self) -> Path:
        """The data root: the config's ``data_dir``, ``$KTRADE_DATA_DIR``, or the user data dir."""
        chosen = self.paths.data_dir or os.environ.get(DATA_ENV, "").strip()
        if chosen:
            return Path(chosen).expanduser()
        from platformdirs import user_data_path

        return user_data_path(APP_NAME)

    def limits(self) -> RiskLimits:
        """The risk limits in force for the configured pairs."""
        return self.risk.limits(self.trading.pairs)


COMMENTS: dict[str, dict[str, str]] = {
    "trading": {
        "": "What trades and with how much: the defaults of paper, live and backtest.",
        "interval_minutes": "candle minutes: 1, 5, 15, 30, 60, 240, 1440, 10080 or 21600",
        "capital_per_pair": "quote currency a full position in one pair stands for",
        "strategy": "ma (moving-average cross) or model (a trained model)",
        "fast": "moving-average cross: fast and slow windows, in candles",
        "model": "the model to trade: registered name@alias, or an MLflow run id",
        "tier": "Kraken verification tier for the rate limits (default: KRAKEN_TIER)",
        "paper_gate_hours": "live needs a paper session of the same strategy this recent...",
        "paper_gate_minutes": "...that ran at least this long and ended cleanly",
    },
    "risk": {
        "": "Risk limits, checked before every order (amounts in the quote currency).",
        "allowed_pairs": "pairs orders may be sent for (default: the trading pairs)",
        "price_band_bps": "order price within this many bps of the mid (at most 5000)",
        "daily_loss_limit": "trips the kill switch (loss since 00:00 UTC; 0 turns it off)",
        "max_drawdown_pct": "trips the kill switch (% from the equity peak, 0-100; 0: off)",
        "kill_file": 'touch this file to stop trading ("" for none)',
    },
    "paths": {"data_dir": "candles, runtime databases, logs and reports (default: {data_dir})"},
    "ml": {
        "experiment": "experiment TOML for `ktrade train` (default: the shipped one)",
        "tracking_uri": "MLflow store (default: $MLFLOW_TRACKING_URI, else sqlite:///mlflow.db)",
    },
    "universe": {
        "": "How `ktrade universe` picks pairs; put your region's restrictions in the excludes.",
        "min_volume_24h": "in the quote currency",
    },
}


def default_config_path() -> Path:
    """``$KTRADE_CONFIG``, else ``config.toml`` in the user config directory."""
    override = os.environ.get(CONFIG_ENV, "").strip()
    return Path(override).expanduser() if override else user_config_dir() / "config.toml"


def _location(loc: tuple[Any, ...]) -> tuple[str, str]:
    parts = [str(p) for p in loc if not isinstance(p, int)]
    table = parts[0] if parts else ""
    key = parts[1] if len(parts) > 1 else ""
    return table, key


def _known(table: str) -> list[str]:
    field = UserConfig.model_fields.get(table)
    model = field.annotation if field is not None else None
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return list(UserConfig.model_fields)


def explain_validation(path: Path, error: ValidationError, raw: dict[str, Any]) -> CliError:
    """One line for the first problem in the file (and how many more), and the fix."""
    problems = error.errors()
    first = problems[0]
    table, key = _location(tuple(first["loc"]))
    where = f"[{table}] {key}".strip() if key else (f"[{table}]" if table else "top level")
    if first["type"] == "extra_forbidden":
        name = key or table
        close = difflib.get_close_matches(name, _known(table if key else ""), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        message = f"{path}: unknown key {where}{hint}"
    else:
        value = raw.get(table, {}).get(key) if isinstance(raw.get(table), dict) else None
        shown = f" = {value!r}" if value is not None else ""
        reason = str(first["msg"]).removeprefix("Value error, ")
        message = f"{path}: {where}{shown}: {reason}"
    if len(problems) > 1:
        message += f" (and {len(problems) - 1} more)"
    return CliError(message, f"edit {path}, or run `ktrade setup` to write a fresh one")


def load_config(path: Path, *, required: bool) -> UserConfig:
    """Read and check the config; a missing file gives the defaults unless ``required``.

    Raises:
        CliError: the file is missing (and required), not TOML, or has a bad value.
    """
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if required:
            raise CliError(
                f"config file not found: {path}", f"create it with `ktrade setup --config {path}`"
            ) from None
        return UserConfig()
    except tomllib.TOMLDecodeError as exc:
        raise CliError(f"{path}: not valid TOML: {exc}", f"fix the line named, in {path}") from None
    try:
        return UserConfig.model_validate(raw)
    except ValidationError as exc:
        raise explain_validation(path, exc, raw) from None


def _plain(value: Any) -> Value:
    if isinstance(value, frozenset | set | tuple):
        return sorted(value)
    return value  # type: ignore[no-any-return]


def render_config(config: UserConfig) -> str:
    """The config as commented TOML (what ``setup`` and ``universe --write`` save)."""
    sections: dict[str, dict[str, Value]] = {}
    for name in UserConfig.model_fields:
        section: BaseModel | dict[str, Any] = getattr(config, name)
        if isinstance(section, dict):  # an operator table: kept as the user wrote it
            if section:
                sections[name] = {k: _plain(v) for k, v in section.items()}
            continue
        sections[name] = {k: _plain(v) for k, v in section.model_dump().items()}
    header = (
        "ktrade configuration (docs/cli.md). Keys left out keep their defaults; a value out\n"
        "of range is refused with the key named. Keys live elsewhere: see `ktrade setup`."
    )
    # The data_dir comment names the folder in force when the key is left out.
    default_dir = UserConfig().data_dir()
    comments = {
        table: {k: v.replace("{data_dir}", str(default_dir)) for k, v in notes.items()}
        for table, notes in COMMENTS.items()
    }
    return render(sections, comments, header)


def save_config(path: Path, config: UserConfig) -> None:
    """Write the config (owner-only, atomically)."""
    write_private(path, render_config(config))
