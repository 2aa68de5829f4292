"""Pre-trade risk limits, checked before every order; each refusal is logged and counted."""

from __future__ import annotations

import tomllib
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict, Field, field_validator

from src.core.clock import Clock
from src.core.derivatives import quote_value
from src.core.errors import ConfigurationError
from src.core.execution import Side
from src.core.instruments import Instrument
from src.core.kill_switch import KillSwitch
from src.core.sizing import OrderIntent

log = structlog.get_logger(__name__)


class RiskLimits(BaseModel):
    """Risk limits; the defaults are deliberately small and safe (amounts in quote currency)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    allowed_pairs: frozenset[str] = Field(default=frozenset({"BTC/USD", "ETH/USD"}))
    max_order_notional: Decimal = Decimal(250)
    max_position_notional: Decimal = Decimal(1000)
    max_gross_exposure: Decimal = Decimal(2000)
    allow_leverage: bool = False
    #: At most 10,000 bps (100 %): a wider band checks nothing.
    price_band_bps: Decimal = Field(default=Decimal(200), le=10_000)
    max_orders_per_minute: int = Field(default=20, ge=0)
    max_data_age_seconds: float = Field(default=180.0, gt=0)
    daily_loss_limit: Decimal = Decimal(100)
    #: Percent of the equity peak (0 = off); over 100 could never trip.
    max_drawdown_pct: Decimal = Field(default=Decimal(10), le=100)
    flatten_on_kill: bool = False
    kill_file: str | None = "KILL"

    @field_validator(
        "max_order_notional",
        "max_position_notional",
        "max_gross_exposure",
        "price_band_bps",
        "daily_loss_limit",
        "max_drawdown_pct",
    )
    @classmethod
    def _non_negative(cls, value: Decimal, info: Any) -> Decimal:
        if value < 0:
            raise ValueError(f"{info.field_name}: must not be negative, got {value}")
        return value

    @classmethod
    def from_toml(cls, path: Path | str) -> RiskLimits:
        """Load limits from a TOML file; keys left out keep their safe default.

        Raises:
            ConfigurationError: the file is missing, not TOML, or has a bad or unknown key.
        """
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigurationError(f"risk limits file not found: {path}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(f"{path}: not valid TOML: {exc}") from None
        try:
            return cls.model_validate(data)
        except ValueError as exc:
            raise ConfigurationError(f"{path}: invalid risk limits: {exc}") from None

    def describe(self) -> list[str]:
        """Human-readable lines, one per limit (shown before live trading)."""
        return [f"{name} = {value}" for name, value in self.model_dump().items()]


@dataclass(frozen=True)
class Refusal:
    """Why an order was refused: a stable ``code`` (counted) and a message (logged)."""

    code: str
    message: str


@dataclass(frozen=True)
class RiskContext:
    """What the checks need to know about the account and market at decision time.

    Attributes:
        positions: signed base quantity per symbol, the bot's own, including live orders.
        prices: latest price per symbol (used to value positions).
        mid: current mid price for the intent's symbol, None if unknown.
        data_age_seconds: seconds since the intent's symbol last got market data.
        available_quote: free quote-currency balance, None if unknown.
        instruments: the symbols' instruments, so a contract's quantity is valued by its own
            rule (an inverse contract counts quote units, not base); a symbol without one is
            valued as base units times price.
    """

    positions: Mapping[str, Decimal]
    prices: Mapping[str, Decimal]
    mid: Decimal | None
    data_age_seconds: float | None
    available_quote: Decimal | None = None
    instruments: Mapping[str, Instrument] = field(default_factory=dict)

    def value(self, symbol: str, quantity: Decimal, price: Decimal) -> Decimal:
        """Absolute quote-currency value of ``quantity`` of ``symbol`` at ``price``."""
        return quote_value(self.instruments.get(symbol), quantity, price)


#: Seconds (risk clock) in which a repeat of the same refusal code for the same symbol is
#: counted but not logged again.
REPEAT_QUIET_SECONDS = 3600.0

#: Called with every intent ``RiskManager.check`` decided on and its refusal (None: allowed).
DecisionListener = Callable[[OrderIntent, Refusal | None], object]


class RiskManager:
    """Applies ``RiskLimits`` to order intents and trips the kill switch on losses.

    An operator may pause new entries (``pause``): while paused, an order that would increase
    the absolute position in its symbol is refused with code ``paused``; exits still pass.

    Args:
        limits: the limits.
        clock: time source for the orders-per-minute window and the trading day.
        kill_switch: shared latch; tripped means every new order is refused.
    """

    def __init__(self, limits: RiskLimits, clock: Clock, kill_switch: KillSwitch) -> None:
        self.limits = limits
        self.clock = clock
        self.kill_switch = kill_switch
        self.refusals: Counter[str] = Counter()
        self._sent: deque[float] = deque()
        self._day: date | None = None
        self.day_start_equity: Decimal | None = None
        self.peak_equity: Decimal | None = None
        #: Why new entries are paused (None: not paused).
        self.paused: str | None = None
        self._listeners: list[DecisionListener] = []
        #: (code, symbol) -> (clock time last logged, refusals since that were not logged).
        self._quiet: dict[tuple[str, str], tuple[float, int]] = {}

    def pause(self, reason: str) -> None:
        """Refuse orders that increase exposure until ``resume`` (exits still pass)."""
        self.paused = reason
        log.warning("risk.paused", reason=reason)

    def resume(self) -> None:
        """Accept new entries again."""
        if self.paused is not None:
            log.warning("risk.resumed", was=self.paused)
        self.paused = None

    def add_listener(self, listener: DecisionListener) -> None:
        """Call ``listener(intent, refusal)`` after every decision (e.g. an audit log)."""
        self._listeners.append(listener)

    def remove_listener(self, listener: DecisionListener) -> None:
        """Stop calling ``listener`` (no error if it was not added)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def check(self, intent: OrderIntent, ctx: RiskContext) -> Refusal | None:
        """Return a Refusal (logged and counted) or None if the order may go."""
        refusal = self._first_failure(intent, ctx)
        if refusal is None:
            self._sent.append(self.clock.monotonic())
        else:
            self.refusals[refusal.code] += 1
            self._log_refusal(intent, refusal)
        self._tell(intent, refusal)
        return refusal

    def _log_refusal(self, intent: OrderIntent, refusal: Refusal) -> None:
        # A tripped switch or a standing limit refuses the strategy on every candle; one line
        # per hour per cause and symbol keeps the log readable (the counters keep every one).
        key = (refusal.code, intent.symbol)
        now = self.clock.monotonic()
        last = self._quiet.get(key)
        if last is not None and now - last[0] < REPEAT_QUIET_SECONDS:
            self._quiet[key] = (last[0], last[1] + 1)
            return
        self._quiet[key] = (now, 0)
        log.warning(
            "risk.refused",
            code=refusal.code,
            reason=refusal.message,
            symbol=intent.symbol,
            side=intent.side.value,
            quantity=str(intent.quantity),
            **({"unlogged_repeats": last[1]} if last is not None and last[1] else {}),
        )

    def _tell(self, intent: OrderIntent, refusal: Refusal | None) -> None:
        for listener in list(self._listeners):
            try:
                listener(intent, refusal)
            except Exception as exc:  # an observer must never stop or alter the order path
                log.error("risk.listener_failed", listener=repr(listener), error=repr(exc))

    def _first_failure(self, intent: OrderIntent, ctx: RiskContext) -> Refusal | None:
        if self.kill_switch.poll():
            return Refusal("kill_switch", f"kill switch tripped: {self.kill_switch.reason}")
        for check in (
            self._pause,
            self._pair,
            self._data,
            self._band,
            self._order_notional,
            self._leverage,
            self._position,
            self._gross,
            self._rate,
        ):
            refusal = check(intent, ctx)
            if refusal is not None:
                return refusal
        return None

    def _pause(self, intent: OrderIntent, ctx: RiskContext) -> Refusal | None:
        if self.paused is None:
            return None
        before = ctx.positions.get(intent.symbol, Decimal(0))
        if abs(before + intent.signed_quantity) > abs(before):
            return Refusal(
                "paused", f"{intent.symbol}: new entries are paused ({self.paused}); exits only"
            )
        return None

    def _pair(self, intent: OrderIntent, ctx: RiskContext) -> Refusal | None:
        if intent.symbol not in self.limits.allowed_pairs:
            return Refusal("pair_not_allowed", f"{intent.symbol} is not in allowed_pairs")
        return None

    def _data(self, intent: OrderIntent, ctx: RiskContext) -> Refusal | None:
        age = ctx.data_age_seconds
        if age is None or age > self.limits.max_data_age_seconds:
            shown = "never received" if age is None else f"{age:.1f}s old"
            return Refusal(
                "stale_market_data",
                f"{intent.symbol}: market data {shown} (limit {self.limits.max_data_age_seconds}s)",
            )
        return None

    def _band(self, intent: OrderIntent, ctx: RiskContext) -> Refusal | None:
        if ctx.mid is None or ctx.mid <= 0:
            return Refusal("no_mid_price", f"{intent.symbol}: no mid price to check against")
        deviation = abs(intent.price - ctx.mid) / ctx.mid * Decimal(10_000)
        if deviation > self.limits.price_band_bps:
            return Refusal(
                "price_band",
                f"{intent.symbol}: price {intent.price} is {deviation:.0f} bps from mid "
                f"{ctx.mid} (limit {self.limits.price_band_bps} bps)",
            )
        return None

    def _order_notional(self, intent: OrderIntent, ctx: RiskContext) -> Refusal | None:
        notional = ctx.value(intent.symbol, intent.quantity, intent.price)
        if notional > self.limits.max_order_notional:
            return Refusal(
                "max_order_notional",
                f"{intent.symbol}: order notional {notional:.2f} exceeds "
                f"{self.limits.max_order_notional}",
            )
        return None

    def _leverage(self, intent: OrderIntent, ctx: RiskContext) -> Refusal | None:
        if self.limits.allow_leverage:
            return None
        if intent.leverage is not None:
            return Refusal("leverage", f"{intent.symbol}: leverage is not enabled")
        after = ctx.positions.get(intent.symbol, Decimal(0)) + intent.signed_quantity
        if after < 0:
            return Refusal(
                "leverage", f"{intent.symbol}: sell would leave a short position {after}"
            )
        cost = ctx.value(intent.symbol, intent.quantity, intent.price)
        if (
            intent.side is Side.BUY
            and ctx.available_quote is not None
            and cost > ctx.available_quote
        ):
            return Refusal(
                "leverage",
                f"{intent.symbol}: cost {cost:.2f} exceeds free cash {ctx.available_quote:.2f}",
            )
        return None

    def _position(self, intent: OrderIntent, ctx: RiskContext) -> Refusal | None:
        symbol, price = intent.symbol, intent.price
        before = ctx.positions.get(symbol, Decimal(0))
        after = ctx.value(symbol, before + intent.signed_quantity, price)
        if after > self.limits.max_position_notional and after > ctx.value(symbol, before, price):
            return Refusal(
                "max_position_notional",
                f"{intent.symbol}: position would be {after:.2f} "
                f"(limit {self.limits.max_position_notional})",
            )
        return None

    def _gross(self, intent: OrderIntent, ctx: RiskContext) -> Refusal | None:
        gross_before = Decimal(0)
        for symbol, quantity in ctx.positions.items():
            price = intent.price if symbol == intent.symbol else ctx.prices.get(symbol)
            gross_before += ctx.value(symbol, quantity, price or Decimal(0))
        before = ctx.positions.get(intent.symbol, Decimal(0))
        after = before + intent.signed_quantity
        change = ctx.value(intent.symbol, after, intent.price) - ctx.value(
            intent.symbol, before, intent.price
        )
        gross_after = gross_before + change
        if change > 0 and gross_after > self.limits.max_gross_exposure:
            return Refusal(
                "max_gross_exposure",
                f"gross exposure would be {gross_after:.2f} "
                f"(limit {self.limits.max_gross_exposure})",
            )
        return None

    def _rate(self, intent: OrderIntent, ctx: RiskContext) -> Refusal | None:
        now = self.clock.monotonic()
        while self._sent and now - self._sent[0] >= 60.0:
            self._sent.popleft()
        if len(self._sent) >= self.limits.max_orders_per_minute:
            return Refusal(
                "max_orders_per_minute",
                f"{len(self._sent)} orders in the last minute "
                f"(limit {self.limits.max_orders_per_minute})",
            )
        return None

    def on_equity(self, equity: Decimal, at: datetime) -> str | None:
        """Track the day's start and the peak; trip the kill switch on a loss limit.

        Returns the trip reason when this call tripped the switch, else None.
        """
        day = at.date()
        if self._day != day or self.day_start_equity is None:
            self._day = day
            self.day_start_equity = equity
        self.peak_equity = equity if self.peak_equity is None else max(self.peak_equity, equity)
        reason: str | None = None
        loss = self.day_start_equity - equity
        if loss >= self.limits.daily_loss_limit > 0:
            reason = f"daily loss {loss:.2f} reached the limit {self.limits.daily_loss_limit}"
        elif self.peak_equity > 0:
            drawdown = (self.peak_equity - equity) / self.peak_equity * 100
            if drawdown >= self.limits.max_drawdown_pct > 0:
                reason = (
                    f"drawdown {drawdown:.2f}% reached the limit {self.limits.max_drawdown_pct}%"
                )
        if reason is not None and self.kill_switch.trip(reason):
            return reason
        return None

    def restore(
        self, day: date | None, day_start_equity: Decimal | None, peak: Decimal | None
    ) -> None:
        """Restore the loss-limit baselines after a restart (so a restart does not reset them)."""
        self._day, self.day_start_equity, self.peak_equity = day, day_start_equity, peak

    @property
    def trading_day(self) -> date | None:
        """Return the UTC day the daily-loss baseline belongs to, or None before the first check."""
        return self._day
