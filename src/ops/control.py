"""Operator controls of a running bot: pause, cancel, close, kill switch, risk reload; audited.

The dashboard and the CLI (through the dashboard's HTTP API) both act through
``OperatorControls``; each call is one audit row saying who did what, when, and how it went.
Calls are serialized by a lock, so two operators clicking at once do not interleave their
cancels and closes. They run on the runtime's event loop, between its steps' awaits, as the
runtime's own kill does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from src.core.errors import BrokerError, ConfigurationError
from src.core.execution import OrderStatus, Side
from src.core.kill_switch import KillFilePresentError
from src.core.order_state import ManagedOrder
from src.core.risk import RiskLimits
from src.core.runtime import TradingRuntime
from src.core.sizing import OrderIntent
from src.ops.audit import AuditKind, AuditLog

#: Where the risk limits are reloaded from: a TOML file, or a function that reads them.
RiskSource = Path | Callable[[], RiskLimits]

log = structlog.get_logger(__name__)
#: The store key holding an operator's pause, so a restarted bot stays paused.
PAUSE_KEY = "operator_pause"
_CANCELLABLE = (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED, OrderStatus.PENDING)


class ControlError(Exception):
    """An action that cannot be done now (no such position, kill file present...)."""


@dataclass(frozen=True)
class ControlResult:
    """What an action did: ``ok`` and a sentence for the operator, plus the details."""

    action: str
    ok: bool
    message: str
    detail: dict[str, Any] = field(default_factory=dict)


class OperatorControls:
    """The actions a person may take on a running ``TradingRuntime``.

    Args:
        runtime: the bot.
        audit: where every action is recorded.
        risk_config: where ``reload_risk`` reads the limits again: a TOML file
            (``RiskLimits.from_toml``), or a loader (``ktrade`` rereads its config file's
            ``[risk]`` table) raising ``ConfigurationError`` on a bad value; None means there
            is nothing to reload from.
    """

    def __init__(
        self, runtime: TradingRuntime, audit: AuditLog, *, risk_config: RiskSource | None = None
    ) -> None:
        self.runtime, self.audit, self.risk_config = runtime, audit, risk_config
        self._lock = asyncio.Lock()

    def restore(self) -> None:
        """Re-apply a pause stored by an earlier run of this bot (call once at start)."""
        saved = self.runtime.store.get(PAUSE_KEY)
        if saved:
            self.runtime.risk.pause(str(saved.get("reason") or "paused by an operator"))

    async def pause(self, actor: str, note: str | None = None) -> ControlResult:
        """Refuse new entries (orders that increase exposure); exits still pass."""

        async def act() -> ControlResult:
            reason = f"paused by {actor}" + (f": {note}" if note else "")
            self.runtime.risk.pause(reason)
            self.runtime.store.put(PAUSE_KEY, {"reason": reason, "by": actor})
            return ControlResult("pause", True, "new entries paused; exits still pass")

        return await self._run("pause", actor, act, note=note)

    async def resume(self, actor: str) -> ControlResult:
        """Accept new entries again."""

        async def act() -> ControlResult:
            was = self.runtime.risk.paused
            self.runtime.risk.resume()
            self.runtime.store.put(PAUSE_KEY, None)
            return ControlResult("resume", True, "new entries accepted", {"was": was})

        return await self._run("resume", actor, act)

    async def cancel_all(self, actor: str) -> ControlResult:
        """Cancel every open order on the account (the venue's cancel-all)."""

        async def act() -> ControlResult:
            count = await self.runtime.engine.cancel_all()
            return ControlResult("cancel_all", True, f"{count} orders cancelled", {"count": count})

        return await self._run("cancel_all", actor, act)

    async def close_position(self, actor: str, symbol: str) -> ControlResult:
        """Cancel the bot's orders in ``symbol`` and send a market order closing its position."""

        async def act() -> ControlResult:
            cancelled = await self._cancel_symbol(symbol)
            order = await self.runtime.oms.submit(self._closing_intent(symbol))
            return ControlResult(
                "close_position",
                order.status not in (OrderStatus.REJECTED, OrderStatus.UNKNOWN),
                f"{symbol}: {order.side.value} {order.quantity} sent, now {order.status.value}",
                {"cancelled": cancelled, **_order_detail(order)},
            )

        return await self._run("close_position", actor, act, symbol=symbol)

    async def close_all(self, actor: str) -> ControlResult:
        """Cancel the bot's open orders, then flatten every long (``TradingRuntime.flatten``)."""

        async def act() -> ControlResult:
            cancelled = await self.runtime.oms.cancel_open()
            orders = await self.runtime.flatten()
            detail = {"cancelled": cancelled, "orders": [_order_detail(o) for o in orders]}
            return ControlResult("close_all", True, f"{len(orders)} closing orders sent", detail)

        return await self._run("close_all", actor, act)

    async def trip_kill(self, actor: str, note: str | None = None) -> ControlResult:
        """Trip the kill switch, then cancel (and flatten if configured) as the runtime does."""

        async def act() -> ControlResult:
            switch = self.runtime.risk.kill_switch
            if not switch.trip(f"tripped by {actor}" + (f": {note}" if note else "")):
                return ControlResult("trip_kill", False, f"already tripped: {switch.reason}")
            # The runtime acts on a trip once per process; after a reset it would not act
            # again, so the control does the cancelling itself (a second cancel-all from the
            # runtime's next step finds nothing left to cancel).
            await self.runtime.kill()
            return ControlResult("trip_kill", True, "kill switch tripped; orders cancelled")

        return await self._run("trip_kill", actor, act, note=note)

    async def reset_kill(self, actor: str) -> ControlResult:
        """Clear a tripped kill switch (refused while the kill file exists)."""

        async def act() -> ControlResult:
            switch = self.runtime.risk.kill_switch
            if not switch.tripped:
                return ControlResult("reset_kill", False, "the kill switch is not tripped")
            try:
                previous = switch.reset()
            except KillFilePresentError as exc:
                raise ControlError(str(exc)) from None
            return ControlResult(
                "reset_kill", True, "kill switch reset", {"previous_reason": previous}
            )

        return await self._run("reset_kill", actor, act)

    async def reload_risk(self, actor: str) -> ControlResult:
        """Load the risk limits again from their TOML file; record what changed."""

        async def act() -> ControlResult:
            if self.risk_config is None:
                raise ControlError("no risk limits file was configured for this bot")
            source = self.risk_config
            try:
                new = source() if callable(source) else RiskLimits.from_toml(source)
            except ConfigurationError as exc:
                raise ControlError(str(exc)) from None
            risk = self.runtime.risk
            changes = _changes(risk.limits, new)
            risk.limits = new
            risk.kill_switch.file_path = Path(new.kill_file) if new.kill_file else None
            self.audit.record(
                AuditKind.CONFIG,
                actor,
                "risk_limits",
                reason=str(source),  # a loader says where it reads from in its str()
                detail={"changes": changes},
            )
            return ControlResult(
                "reload_risk", True, f"{len(changes)} limits changed", {"changes": changes}
            )

        return await self._run("reload_risk", actor, act)

    async def _run(
        self,
        action: str,
        actor: str,
        act: Callable[[], Awaitable[ControlResult]],
        *,
        symbol: str | None = None,
        note: str | None = None,
    ) -> ControlResult:
        async with self._lock:
            try:
                result = await act()
            except (ControlError, BrokerError) as exc:
                result = ControlResult(action, False, str(exc))
        log.warning(
            "operator.action",
            action=action,
            actor=actor,
            symbol=symbol,
            ok=result.ok,
            message=result.message,
        )
        self.audit.record(
            AuditKind.OPERATOR,
            actor,
            action,
            symbol=symbol,
            reason=note,
            outcome="ok" if result.ok else "failed",
            detail={"message": result.message, **result.detail},
        )
        return result

    async def _cancel_symbol(self, symbol: str) -> int:
        count = 0
        for order in list(self.runtime.oms.live.values()):
            if order.symbol == symbol and order.order_id and order.status in _CANCELLABLE:
                await self.runtime.engine.cancel_order(order.order_id)
                count += 1
        return count

    def _closing_intent(self, symbol: str) -> OrderIntent:
        """The market order that takes ``symbol``'s position to zero, as ``flatten`` sizes it."""
        held = self.runtime.portfolio.position(symbol).quantity
        if held == 0:
            raise ControlError(f"{symbol}: no position to close")
        instrument = self.runtime.instruments.get(symbol)
        price = self.runtime.prices.get(symbol)
        if instrument is None or price is None:
            raise ControlError(f"{symbol}: no instrument or price yet; try again in a moment")
        quantity = instrument.round_quantity(abs(held))
        if quantity <= 0 or quantity < instrument.min_quantity:
            raise ControlError(
                f"{symbol}: position {held} is below the minimum order {instrument.min_quantity}"
            )
        side = Side.SELL if held > 0 else Side.BUY
        return OrderIntent(symbol, side, quantity, price, reason="operator close")


def _order_detail(order: ManagedOrder) -> dict[str, Any]:
    return {
        "client_order_id": order.client_order_id,
        "order_id": order.order_id,
        "symbol": order.symbol,
        "side": order.side.value,
        "quantity": str(order.quantity),
        "status": order.status.value,
    }


def _changes(old: RiskLimits, new: RiskLimits) -> dict[str, list[str]]:
    before, after = old.model_dump(), new.model_dump()
    return {
        name: [_text(before[name]), _text(after[name])]
        for name in after
        if before.get(name) != after[name]
    }


def _text(value: object) -> str:
    if isinstance(value, frozenset | set):
        return ",".join(sorted(str(v) for v in value))
    return str(value)
