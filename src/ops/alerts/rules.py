"""The conditions worth a message, read from a running ``TradingRuntime``.

Each look returns only what is new: an order rejected or a fill since the last look, a
condition entered (kill switch tripped, dead man's switch failing, connection lost, reconcile
differences) or left (recovered). A condition that holds is reported once, not on every look.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from src.core.execution import Fill, OrderStatus
from src.core.order_state import ManagedOrder
from src.core.runtime import TradingRuntime
from src.ops.alerts.alert import Alert, Level
from src.ops.alerts.config import AlertsConfig
from src.ops.metrics.sampler import dead_man_switches
from src.ops.metrics.watch import RuntimeWatch


def _num(value: Decimal) -> str:
    return f"{value.normalize():f}"


class AlertRules:
    """Turns the runtime's state into alerts.

    Args:
        runtime: the session's runtime.
        config: which alerts, and the connection-lost threshold.
    """

    def __init__(self, runtime: TradingRuntime, config: AlertsConfig) -> None:
        self.runtime, self.config = runtime, config
        self.prefix = config.title_prefix
        self.watch = RuntimeWatch(runtime.store, runtime.portfolio)
        self.watch.look()  # the baseline: earlier sessions' orders and fills are not news
        self._kill_sent = False
        self._failing: set[str] = set()
        self._down_since: dict[str, float] = {}
        self._reconcile: tuple[int, int, int] = (0, 0, 0)
        self._day, self._day_equity, self._day_fills = self._today(), runtime.portfolio.equity, 0

    def check(self) -> list[Alert]:
        """Return the alerts due now (every condition not switched off in ``events``)."""
        out: list[Alert] = []
        changes = self.watch.look()
        want = self.config.wants
        if want("kill_switch"):
            out += self._kill_switch()
        if want("dead_man"):
            out += self._dead_man()
        if want("rejected"):
            out += [self._rejected(o) for o in changes.finished if o.status is OrderStatus.REJECTED]
        self._day_fills += len(changes.fills)
        if want("fill"):
            out += [self._fill(f) for f in changes.fills]
        if want("connection"):
            out += self._connection()
        if want("reconcile"):
            out += self._reconciled()
        if want("daily_pnl") and self._today() != self._day:
            out.append(self.summary(f"Daily PnL {self._day.isoformat()}"))
            self._day, self._day_equity, self._day_fills = (
                self._today(), self.runtime.portfolio.equity, 0
            )  # fmt: skip
        return [a.redacted() for a in out]

    def _today(self) -> date:
        return self.runtime.clock.now().date()

    def summary(self, what: str) -> Alert:
        """The PnL summary since the day (or session) began: equity, PnL, fills, fees."""
        p = self.runtime.portfolio
        change = p.equity - self._day_equity
        positions = ", ".join(
            f"{s} {_num(q.quantity)}" for s, q in sorted(p.positions.items()) if q.quantity
        )
        body = (
            f"PnL {change:+.2f} (equity {p.equity:.2f}); {self._day_fills} fill(s).\n"
            f"Since the book began: realized {p.realized_pnl:.2f}, unrealized "
            f"{p.unrealized_pnl:.2f}, fees {p.fees:.2f}, net {p.net_pnl:.2f}.\n"
            f"Positions: {positions or 'flat'}."
        )
        return Alert(f"daily:{what}", f"{self.prefix}: {what}: {change:+.2f}", body, Level.INFO)

    def _kill_switch(self) -> list[Alert]:
        kill = self.runtime.risk.kill_switch
        if not kill.tripped or self._kill_sent:
            return []
        self._kill_sent = True
        flatten = self.runtime.risk.limits.flatten_on_kill
        then = "open orders cancelled, positions flattened" if flatten else "open orders cancelled"
        body = f"Reason: {kill.reason}. New orders are refused; {then}. A restart clears it."
        return [Alert("kill_switch", f"{self.prefix}: KILL SWITCH TRIPPED", body, Level.FAILURE)]

    def _dead_man(self) -> list[Alert]:
        out = []
        for i, switch in enumerate(dead_man_switches(self.runtime)):
            key = f"dead_man:{i}"
            if switch.failures and key not in self._failing:
                self._failing.add(key)
                armed = switch.armed_at
                since = "never armed" if armed is None else (
                    f"last armed {switch.monotonic() - armed:.0f} s ago"
                )  # fmt: skip
                body = (
                    f"{switch.failures} re-arm(s) failed, {since} (timeout {switch.timeout} s). "
                    "Unarmed for half its timeout, it trips the kill switch."
                )
                out.append(Alert(key, f"{self.prefix}: dead man's switch failing", body,
                                 Level.WARNING))  # fmt: skip
            elif not switch.failures and key in self._failing:
                self._failing.discard(key)
                out.append(Alert(f"{key}:ok", f"{self.prefix}: dead man's switch re-armed",
                                 "The switch is armed again.", Level.SUCCESS))  # fmt: skip
        return out

    def _rejected(self, order: ManagedOrder) -> Alert:
        what = f"{order.side.value} {_num(order.quantity)} {order.symbol}"
        body = f"{order.order_type.value} order {order.client_order_id}: {order.reason or '-'}"
        return Alert(f"rejected:{order.symbol}", f"{self.prefix}: order rejected: {what}", body,
                     Level.WARNING)  # fmt: skip

    def _fill(self, fill: Fill) -> Alert:
        position = self.runtime.portfolio.position(fill.symbol)
        title = (
            f"{self.prefix}: fill {fill.side.value} {_num(fill.quantity)} {fill.symbol} @ "
            f"{_num(fill.price)}"
        )
        body = (
            f"Fee {_num(fill.fee)} {fill.fee_currency}; position now {_num(position.quantity)}; "
            f"net PnL {self.runtime.portfolio.net_pnl:.2f}."
        )
        return Alert(f"fill:{fill.fill_id}", title, body, Level.INFO)

    def _connection(self) -> list[Alert]:
        runtime, limit = self.runtime, self.config.connection_lost_seconds
        now = runtime.clock.monotonic()
        lost: dict[str, float] = {}
        for symbol, at in runtime.data_at.items():
            lost[f"market data {symbol}"] = now - at
        for state in (runtime.feed.fills, runtime.feed.orders):
            if state is None or not runtime.feed.started:
                continue
            name = f"{state.name} stream"
            if state.running:
                self._down_since.pop(name, None)
                lost[name] = 0.0
            else:
                lost[name] = now - self._down_since.setdefault(name, now)
        out = []
        for name, age in sorted(lost.items()):
            key = f"connection:{name}"
            if age > limit and key not in self._failing:
                self._failing.add(key)
                body = f"No {name} for {age:.0f} s (threshold {limit:g} s)."
                out.append(Alert(key, f"{self.prefix}: connection lost: {name}", body,
                                 Level.FAILURE))  # fmt: skip
            elif age <= limit and key in self._failing:
                self._failing.discard(key)
                out.append(Alert(f"{key}:ok", f"{self.prefix}: connection back: {name}",
                                 f"{name} is flowing again.", Level.SUCCESS))  # fmt: skip
        return out

    def _reconciled(self) -> list[Alert]:
        stats = self.runtime.stats
        report = stats.last_reconcile
        found = (
            stats.balance_differences,
            len(report.still_unknown) if report else 0,
            len(report.orphans) if report else 0,
        )
        if found == self._reconcile:
            return []
        self._reconcile = found
        balance, unknown, orphans = found
        if not any(found):
            return [Alert("reconcile:ok", f"{self.prefix}: reconcile clean again",
                          "The books agree with the exchange.", Level.SUCCESS)]  # fmt: skip
        body = (
            f"{balance} balance difference(s), {unknown} order(s) of unknown outcome, "
            f"{orphans} order(s) on the exchange the bot did not place. The bot changes "
            "nothing: check the log (portfolio.balance_difference) and the exchange."
        )
        return [Alert("reconcile", f"{self.prefix}: reconcile differences", body,
                      Level.WARNING)]  # fmt: skip
