"""Operator controls on a SimEngine runtime: each changes the venue or the limits, each audited."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from src.core.execution import OrderStatus, Side
from src.core.kill_switch import KillSwitch
from src.core.sizing import OrderIntent
from src.ops.audit import AuditKind
from src.ops.control import PAUSE_KEY, OperatorControls
from tests.unit.ops.conftest import PRICE, Rig

D = Decimal


def _operator_rows(rig: Rig) -> list[tuple[str, str, str, str | None]]:
    return [
        (e.actor, e.action, e.outcome, e.symbol) for e in rig.audit.entries(kind=AuditKind.OPERATOR)
    ]


async def test_pause_refuses_entries_keeps_exits_and_survives_a_restart(rig: Rig) -> None:
    await rig.buy()
    result = await rig.controls.pause("alice", "news at 14:00")
    assert result.ok
    buy = OrderIntent("BTC/USD", Side.BUY, D("0.001"), PRICE)
    sell = OrderIntent("BTC/USD", Side.SELL, D("0.001"), PRICE)
    refusal = rig.runtime.risk.check(buy, rig.context())
    assert refusal is not None and refusal.code == "paused"
    assert "alice" in refusal.message and "news at 14:00" in refusal.message
    assert rig.runtime.risk.check(sell, rig.context()) is None
    # A new process on the same database comes back paused.
    assert rig.runtime.store.get(PAUSE_KEY)["by"] == "alice"
    rig.runtime.risk.resume()
    OperatorControls(rig.runtime, rig.audit).restore()
    assert rig.runtime.risk.paused is not None

    assert (await rig.controls.resume("bob")).ok
    assert rig.runtime.risk.check(buy, rig.context()) is None
    assert rig.runtime.store.get(PAUSE_KEY) is None
    assert _operator_rows(rig) == [
        ("alice", "pause", "ok", None),
        ("bob", "resume", "ok", None),
    ]
    (pause, _) = rig.audit.entries(kind=AuditKind.OPERATOR)
    assert pause.reason == "news at 14:00"
    assert pause.at.tzinfo is not None


async def test_cancel_all_cancels_the_resting_orders_at_the_venue(rig: Rig) -> None:
    await rig.buy("0.002", limit=D(30_000))
    await rig.buy("0.002", limit=D(31_000))
    assert len(await rig.venue_open_orders()) == 2
    result = await rig.controls.cancel_all("alice")
    assert result.ok and result.detail["count"] == 2
    assert await rig.venue_open_orders() == []
    (row,) = rig.audit.entries(kind=AuditKind.OPERATOR)
    assert (row.action, row.detail["count"]) == ("cancel_all", 2)


async def test_close_position_cancels_that_symbols_orders_then_sells_it(rig: Rig) -> None:
    await rig.buy("0.005")
    await rig.buy("0.002", limit=D(30_000))
    before = (await rig.engine.get_account())["BTC"]
    result = await rig.controls.close_position("alice", "BTC/USD")
    await rig.runtime.poll_fills()
    assert result.ok, result.message
    assert result.detail["cancelled"] == 1
    assert (result.detail["side"], D(result.detail["quantity"])) == ("sell", D("0.005"))
    assert await rig.venue_open_orders() == []
    assert (await rig.engine.get_account())["BTC"] == before - D("0.005")
    assert rig.runtime.portfolio.position("BTC/USD").quantity == 0
    assert _operator_rows(rig) == [("alice", "close_position", "ok", "BTC/USD")]


async def test_closing_a_flat_symbol_fails_and_is_audited_as_failed(rig: Rig) -> None:
    result = await rig.controls.close_position("alice", "BTC/USD")
    assert not result.ok
    assert "no position" in result.message
    assert _operator_rows(rig) == [("alice", "close_position", "failed", "BTC/USD")]
    assert rig.engine.fills == []


async def test_close_all_flattens_every_long(rig: Rig) -> None:
    await rig.buy("0.005")
    result = await rig.controls.close_all("alice")
    await rig.runtime.poll_fills()
    assert result.ok
    assert [o["side"] for o in result.detail["orders"]] == ["sell"]
    assert rig.runtime.portfolio.position("BTC/USD").quantity == 0


async def test_kill_switch_trip_cancels_reset_clears_and_a_second_trip_cancels_again(
    rig: Rig,
) -> None:
    await rig.buy("0.002", limit=D(30_000))
    result = await rig.controls.trip_kill("alice", "drill")
    assert result.ok
    switch = rig.runtime.risk.kill_switch
    assert switch.tripped and switch.reason == "tripped by alice: drill"
    assert await rig.venue_open_orders() == []
    again = await rig.controls.trip_kill("bob")
    assert not again.ok and "already tripped" in again.message

    reset = await rig.controls.reset_kill("alice")
    assert reset.ok and reset.detail["previous_reason"] == "tripped by alice: drill"
    assert not switch.tripped
    assert not (await rig.controls.reset_kill("alice")).ok  # nothing to reset

    # The runtime acts on a trip once per process; the control cancels by itself.
    await rig.buy("0.002", limit=D(30_000))
    assert (await rig.controls.trip_kill("alice")).ok
    assert await rig.venue_open_orders() == []
    actions = [(a, o) for _, a, o, _ in _operator_rows(rig)]
    assert actions == [
        ("trip_kill", "ok"),
        ("trip_kill", "failed"),
        ("reset_kill", "ok"),
        ("reset_kill", "failed"),
        ("trip_kill", "ok"),
    ]


async def test_reset_is_refused_while_the_kill_file_exists(rig: Rig, tmp_path: Path) -> None:
    kill_file = tmp_path / "KILL"
    kill_file.touch()
    rig.runtime.risk.kill_switch = KillSwitch(kill_file)
    assert rig.runtime.risk.kill_switch.poll()
    result = await rig.controls.reset_kill("alice")
    assert not result.ok and "remove the kill file" in result.message
    assert rig.runtime.risk.kill_switch.tripped
    kill_file.unlink()
    assert (await rig.controls.reset_kill("alice")).ok


async def test_reload_risk_applies_the_file_and_records_what_changed(rig: Rig) -> None:
    rig.risk_file.write_text(
        'allowed_pairs = ["BTC/USD"]\nmax_order_notional = 100\nkill_file = "STOP"\n'
    )
    result = await rig.controls.reload_risk("alice")
    assert result.ok, result.message
    limits = rig.runtime.risk.limits
    assert limits.max_order_notional == D(100)
    assert rig.runtime.risk.kill_switch.file_path == Path("STOP")
    (config,) = rig.audit.entries(kind=AuditKind.CONFIG)
    assert config.actor == "alice"
    assert config.detail["changes"]["max_order_notional"] == ["250", "100"]
    assert config.detail["changes"]["allowed_pairs"] == ["BTC/USD,ETH/USD", "BTC/USD"]
    assert "max_gross_exposure" not in config.detail["changes"]
    # An order over the new limit is now refused.
    big = OrderIntent("BTC/USD", Side.BUY, D("0.003"), PRICE)  # 120 USD
    refusal = rig.runtime.risk.check(big, rig.context())
    assert refusal is not None and refusal.code == "max_order_notional"


async def test_a_bad_risk_file_changes_nothing(rig: Rig) -> None:
    rig.risk_file.write_text("max_order_notional = -5\n")
    before = rig.runtime.risk.limits
    result = await rig.controls.reload_risk("alice")
    assert not result.ok and "invalid risk limits" in result.message
    assert rig.runtime.risk.limits is before
    assert rig.audit.entries(kind=AuditKind.CONFIG) == []
    unset = OperatorControls(rig.runtime, rig.audit)
    assert "no risk limits file" in (await unset.reload_risk("alice")).message


async def test_every_risk_decision_is_audited_with_its_reason(rig: Rig) -> None:
    rig.runtime.risk.add_listener(rig.audit.decision)
    ok = OrderIntent("BTC/USD", Side.BUY, D("0.001"), PRICE, reason="target")
    big = OrderIntent("BTC/USD", Side.BUY, D("0.01"), PRICE)  # 400 USD > 250
    assert rig.runtime.risk.check(ok, rig.context()) is None
    assert rig.runtime.risk.check(big, rig.context()) is not None
    allowed, refused = rig.audit.entries(kind=AuditKind.DECISION)
    assert (allowed.action, allowed.reason, allowed.detail["quantity"]) == (
        "allowed",
        "target",
        "0.001",
    )
    assert refused.action == "refused" and refused.outcome == "refused"
    assert refused.reason is not None and refused.reason.startswith("max_order_notional: ")
    rig.runtime.risk.remove_listener(rig.audit.decision)
    rig.runtime.risk.check(ok, rig.context())
    assert len(rig.audit.entries(kind=AuditKind.DECISION)) == 2


async def test_a_failing_listener_does_not_change_the_decision(rig: Rig) -> None:
    def broken(intent: OrderIntent, refusal: object) -> None:
        raise RuntimeError("observer bug")

    rig.runtime.risk.add_listener(broken)
    ok = OrderIntent("BTC/USD", Side.BUY, D("0.001"), PRICE)
    assert rig.runtime.risk.check(ok, rig.context()) is None


async def test_an_operator_close_is_an_ordinary_stored_order(rig: Rig) -> None:
    await rig.buy("0.005")
    result = await rig.controls.close_position("alice", "BTC/USD")
    stored = rig.runtime.store.get_order(result.detail["client_order_id"])
    assert stored is not None and stored.status is OrderStatus.FILLED
    assert rig.runtime.store.order_events(stored.client_order_id) == ["new", "pending", "filled"]


async def test_reload_reads_ktrades_risk_table_again(rig: Rig, tmp_path: Path) -> None:
    from src.cli.trading import ConfigRisk

    config = tmp_path / "config.toml"
    config.write_text("[risk]\nmax_order_notional = 90\n")
    source = ConfigRisk(config, ("BTC/USD", "ETH/USD"))
    controls = OperatorControls(rig.runtime, rig.audit, risk_config=source)
    result = await controls.reload_risk("bob")
    assert result.ok, result.message
    assert rig.runtime.risk.limits.max_order_notional == D(90)
    assert rig.runtime.risk.limits.allowed_pairs == frozenset({"BTC/USD", "ETH/USD"})
    (entry,) = rig.audit.entries(kind=AuditKind.CONFIG)
    assert entry.reason == f"{config} [risk]"
    config.write_text("[risk]\nmax_drawdown_pct = 150\n")  # out of range: refused, nothing changes
    before = rig.runtime.risk.limits
    refused = await controls.reload_risk("bob")
    assert not refused.ok and "max_drawdown_pct" in refused.message
    assert rig.runtime.risk.limits is before
