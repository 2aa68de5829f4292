"""Read-outs of a runtime's health: risk limits and how close each is, switches, connections."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, runtime_checkable

from src.core.runtime import TradingRuntime
from src.core.stream_feed import StreamState
from src.ops.dashboard.monitor import Monitor

OK, WARN, BAD, OFF = "ok", "warn", "bad", "off"


@dataclass(frozen=True)
class Gauge:
    """One risk limit: what is used of it now, the limit, and the share (None: limit off)."""

    name: str
    used: str
    limit: str
    percent: float | None
    level: str
    note: str = ""


@dataclass(frozen=True)
class Health:
    """One line of the health panel: a component, its level (ok/warn/bad/off), a detail."""

    name: str
    level: str
    detail: str


@runtime_checkable
class DeadMansState(Protocol):
    """What the dashboard reads of a dead man's switch heartbeat (``src.app.venue``'s)."""

    timeout: int
    armed_at: float | None
    failures: int
    trigger_time: str | None

    def monotonic(self) -> float:
        """Return the clock the switch measures its arming on."""
        ...


def _gauge(name: str, used: Decimal, limit: Decimal, note: str = "", fmt: str = ".2f") -> Gauge:
    if limit <= 0:
        return Gauge(name, format(used, fmt), "off", None, OFF, note)
    percent = float(used / limit * 100)
    level = OK if percent < 70 else WARN if percent < 100 else BAD
    return Gauge(name, format(used, fmt), format(limit, "f"), round(percent, 1), level, note)


def risk_gauges(runtime: TradingRuntime, monitor: Monitor) -> list[Gauge]:
    """Every risk limit with its current use (the per-order limits show the largest live order)."""
    risk, book = runtime.risk, runtime.portfolio
    limits, equity = risk.limits, book.equity
    day_start, peak = risk.day_start_equity, risk.peak_equity
    loss = max(Decimal(0), day_start - equity) if day_start is not None else Decimal(0)
    drawdown = (peak - equity) / peak * 100 if peak and peak > 0 else Decimal(0)
    values = {
        s: abs(p.quantity) * book.marks.get(s, p.average_price) for s, p in book.positions.items()
    }
    top = max(values, key=lambda s: values[s], default=None)
    orders = [
        o.quantity * (o.limit_price or o.reference_price or Decimal(0))
        for o in runtime.oms.live.values()
    ]
    now = runtime.clock.monotonic()
    ages = {s: now - at for s, at in runtime.data_at.items()}
    stale = max(ages, key=lambda s: ages[s], default=None)
    return [
        _gauge("daily loss", loss, limits.daily_loss_limit),
        _gauge("drawdown %", max(drawdown, Decimal(0)), limits.max_drawdown_pct),
        _gauge("gross exposure", book.gross_exposure(), limits.max_gross_exposure),
        _gauge(
            "position notional",
            values.get(top, Decimal(0)) if top else Decimal(0),
            limits.max_position_notional,
            top or "",
        ),
        _gauge(
            "order notional",
            max(orders, default=Decimal(0)),
            limits.max_order_notional,
            "largest live order",
        ),
        _gauge(
            "orders per minute",
            Decimal(monitor.orders_last_minute()),
            Decimal(limits.max_orders_per_minute),
            fmt=".0f",
        ),
        _gauge(
            "data age s",
            Decimal(str(round(ages[stale], 1))) if stale else Decimal(0),
            Decimal(str(limits.max_data_age_seconds)),
            stale or "no data yet",
            ".1f",
        ),
        Gauge("price band bps", "per order", format(limits.price_band_bps, "f"), None, OK),
    ]


def _find_dead_man(runtime: TradingRuntime) -> DeadMansState | None:
    for beat in runtime.heartbeats:
        if isinstance(beat, DeadMansState):
            return beat
    return None


def dead_man(runtime: TradingRuntime) -> Health:
    """The dead man's switch among the runtime's heartbeats, or ``off`` when there is none."""
    switch = _find_dead_man(runtime)
    if switch is None:
        return Health("dead man's switch", OFF, "not configured")
    if switch.armed_at is None:
        level = BAD if switch.failures else WARN
        return Health("dead man's switch", level, f"not armed yet ({switch.failures} failures)")
    age = switch.monotonic() - switch.armed_at
    level = BAD if age >= switch.timeout / 2 else WARN if switch.failures else OK
    return Health(
        "dead man's switch",
        level,
        f"armed {age:.0f} s ago, timeout {switch.timeout} s, trigger {switch.trigger_time}, "
        f"{switch.failures} failures",
    )


def _stream(state: StreamState | None, started: bool) -> Health:
    name = f"stream {state.name}" if state else "stream orders"
    if state is None:
        return Health(name, OFF, "the venue has no such stream")
    if not started:
        return Health(name, OFF, "not started (polling only)")
    if state.delivering:
        return Health(name, OK, f"delivering: {state.events} events, {state.failures} restarts")
    if state.running:
        return Health(name, WARN, f"connected, nothing delivered yet ({state.failures} restarts)")
    return Health(name, BAD, f"down after {state.failures} failures: {state.last_error}")


def connections(runtime: TradingRuntime, monitor: Monitor) -> list[Health]:
    """REST (the last completed reconcile), each stream, and each symbol's market data age."""
    monitor.observe()
    now = runtime.clock.monotonic()
    every = runtime.config.reconcile_seconds
    if monitor.reconciled_at is None:
        rows = [Health("REST", WARN, "no reconcile seen yet")]
    else:
        age = now - monitor.reconciled_at
        level = OK if age <= 3 * every + 1 else BAD
        rows = [Health("REST", level, f"last reconcile {age:.0f} s ago (every {every:.0f} s)")]
    feed = runtime.feed
    rows += [_stream(feed.fills, feed.started), _stream(feed.orders, feed.started)]
    transport = getattr(runtime.engine, "last_order_transport", None)
    if transport is not None:
        rows.append(Health("orders via", OK, str(transport)))
    limit = runtime.risk.limits.max_data_age_seconds
    for symbol in runtime.strategy.symbols:
        at = runtime.data_at.get(symbol)
        if at is None:
            rows.append(Health(f"data {symbol}", WARN, "no market data yet"))
            continue
        age = now - at
        level = OK if age <= limit / 2 else WARN if age <= limit else BAD
        rows.append(Health(f"data {symbol}", level, f"{age:.1f} s old (limit {limit:.0f} s)"))
    return rows
