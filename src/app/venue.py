"""Kraken-side helpers for the runtime: quotes from Ticker, key checks, dead man's switch."""

from __future__ import annotations

import asyncio
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


class DeadMansSwitch:
    """Arms Kraken's CancelAllOrdersAfter and re-arms it as a runtime heartbeat.

    If the bot dies or loses its connection, Kraken cancels every open order ``timeout``
    seconds after the last re-arm. Disarmed (timeout 0) on a clean shutdown.
    """

    def __init__(self, adapter: KrakenAdapter, timeout: int = 60) -> None:
        self.adapter, self.timeout = adapter, timeout
        self.trigger_time: str | None = None

    async def __call__(self) -> None:
        """Re-arm the switch (a heartbeat); a failure is logged and the next beat tries again."""
        try:
            result = await self.adapter.cancel_all_orders_after(self.timeout)
            self.trigger_time = str(result.get("triggerTime"))
        except BrokerError as exc:  # next heartbeat tries again; the timeout still runs
            log.warning("dead_man.rearm_failed", error=str(exc))

    async def disarm(self) -> None:
        """Disarm the switch (timeout 0) on a clean shutdown; a failure is logged, not raised."""
        try:
            await asyncio.wait_for(self.adapter.cancel_all_orders_after(0), timeout=5)
        except (BrokerError, TimeoutError) as exc:
            log.warning("dead_man.disarm_failed", error=str(exc))
