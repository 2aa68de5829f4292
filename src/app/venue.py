"""Kraken-side helpers for the runtime: quotes from Ticker, key checks, dead man's switch."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import structlog

from src.brokers.kraken_adapter import KrakenAdapter
from src.core.errors import AuthenticationError, BrokerError, PermissionDeniedError
from src.core.execution import utc_now
from src.core.market_data import Quote

log = structlog.get_logger(__name__)


class KrakenQuotes:
    """``QuoteSource`` over the adapter's Ticker call (best bid and ask)."""

    def __init__(self, adapter: KrakenAdapter) -> None:
        self.adapter = adapter

    async def get_quote(self, symbol: str) -> Quote:
        """The best bid and ask of ``symbol`` from Kraken's Ticker."""
        instrument = await self.adapter.get_instrument(symbol)
        result = await self.adapter.get_ticker(instrument.venue_symbol or symbol)
        row: dict[str, Any] = next(iter(result.values()))
        return Quote(
            symbol=symbol,
            bid=Decimal(str(row["b"][0])),
            ask=Decimal(str(row["a"][0])),
            last=Decimal(str(row["c"][0])),
            timestamp=utc_now(),
        )


def with_order_transport(
    sink: Callable[[str], None] | None, adapter: KrakenAdapter
) -> Callable[[str], None]:
    """A status sink that adds how the last order went out: ``orders_via=websocket|rest``.

    The runtime cannot know (it talks to any ``ExecutionEngine``); the Kraken adapter can.
    """
    emit = sink or (lambda line: log.info("status", line=line))

    def status(line: str) -> None:
        emit(f"{line} orders_via={adapter.last_order_transport or 'none'}")

    return status


@dataclass
class KeyReport:
    """What a start-up key check found. ``can_withdraw`` is None when it could not be told."""

    ok: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    can_withdraw: bool | None = None

    def lines(self) -> list[str]:
        """The report as printable lines: each permission found or missing, and warnings."""
        out = [f"  ok       {name}" for name in self.ok]
        out += [f"  MISSING  {name}" for name in self.missing]
        if self.can_withdraw:
            out.append("  WARNING  this key can WITHDRAW funds: a trading bot never needs that")
        elif self.can_withdraw is None:
            out.append("  ?        withdraw permission could not be determined")
        return out


_PROBES: tuple[tuple[str, str], ...] = (
    ("query funds", "Balance"),
    ("query open orders", "OpenOrders"),
    ("query closed orders & trades", "ClosedOrders"),
)


async def check_key(adapter: KrakenAdapter) -> KeyReport:
    """Probe the key's permissions with harmless read calls (Kraken has no key-info endpoint).

    Raises:
        AuthenticationError: the key or secret is wrong (nothing else is worth trying).
    """
    report = KeyReport()
    for label, method in _PROBES:
        try:
            await adapter.request(method)
            report.ok.append(label)
        except AuthenticationError:
            raise
        except PermissionDeniedError:
            report.missing.append(label)
    try:  # needs "Withdraw funds"; a permission error is the good answer here
        await adapter.request("WithdrawMethods")
        report.can_withdraw = True
    except PermissionDeniedError:
        report.can_withdraw = False
    except BrokerError:
        report.can_withdraw = None
    return report


def _shout(text: str) -> None:
    """Put a warning on screen, where the person watching the bot sees it, not only in a log."""
    print(f"!! {text}", file=sys.stderr, flush=True)


class DeadMansSwitch:
    """Arms Kraken's CancelAllOrdersAfter and re-arms it as a runtime heartbeat.

    If the bot dies or loses its connection, Kraken cancels every open order ``timeout``
    seconds after the last re-arm. Disarmed (timeout 0) on a clean shutdown. A failed re-arm is
    retried at once (``retries`` times, backoff from ``retry_delay`` s) and shown on screen;
    a switch that stays unarmed for half its timeout (or could never be armed) calls
    ``on_lost`` with a reason, which the live example wires to the kill switch.

    ``timeout`` is in the exchange's seconds, so the time since the last arming is measured on
    ``monotonic``, the exchange's clock (real time on Kraken; a paper exchange on an accelerated
    clock runs its countdown faster, and a real-time measure would never see it run out).
    """

    def __init__(
        self,
        adapter: KrakenAdapter,
        timeout: int = 60,
        *,
        retries: int = 2,
        retry_delay: float = 1.0,
        on_lost: Callable[[str], object] | None = None,
        warn: Callable[[str], None] = _shout,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.adapter, self.timeout, self.monotonic = adapter, timeout, monotonic
        self.retries, self.retry_delay = retries, retry_delay
        self.on_lost, self.warn = on_lost, warn
        self.trigger_time: str | None = None
        self.armed_at: float | None = None
        self.failures = 0

    async def __call__(self) -> None:
        """Re-arm the switch (a heartbeat), retrying a failure before the next beat."""
        for attempt in range(self.retries + 1):
            try:
                result = await self.adapter.cancel_all_orders_after(self.timeout)
            except BrokerError as exc:
                self.failures += 1
                log.error("dead_man.rearm_failed", error=str(exc), attempt=attempt + 1)
                self.warn(f"dead man's switch re-arm failed ({exc}); attempt {attempt + 1}")
                if attempt < self.retries:
                    await asyncio.sleep(self.retry_delay * 2**attempt)
                continue
            self.trigger_time = str(result.get("triggerTime"))
            self.armed_at, self.failures = self.monotonic(), 0
            return
        self._check_lost()

    def _check_lost(self) -> None:
        unarmed = None if self.armed_at is None else self.monotonic() - self.armed_at
        if unarmed is not None and unarmed < self.timeout / 2:
            return  # the last arming still has more than half its time to run
        reason = (
            "dead man's switch could not be armed"
            if unarmed is None
            else f"dead man's switch not re-armed for {unarmed:.0f} s (timeout {self.timeout} s)"
        )
        self.warn(reason + ": tripping the kill switch")
        if self.on_lost is not None:
            self.on_lost(reason)

    async def disarm(self) -> None:
        """Disarm the switch (timeout 0) on a clean shutdown; a failure is shown, not raised."""
        try:
            await asyncio.wait_for(self.adapter.cancel_all_orders_after(0), timeout=5)
        except (BrokerError, TimeoutError) as exc:
            log.error("dead_man.disarm_failed", error=str(exc))
            self.warn(
                f"dead man's switch could not be disarmed ({exc}): Kraken will cancel every "
                f"open order about {self.timeout} s after the last re-arm"
            )
