"""Alerts delivered by apprise to local doubles: a webhook receiver (json://, form://) and SMTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from src.core.clock import ManualClock
from src.core.errors import ConfigurationError, InvalidOrderError
from src.ops.alerts import Alert, AlertsConfig, RuntimeAlerts, alerts_service
from src.ops.alerts.notifier import AppriseNotifier
from src.venues.sim_engine import SimEngine
from tests.integration.ops_alerts.doubles import smtp_server, text_of, webhook_receiver
from tests.unit.ops_metrics.sim_session import play, sim_runtime

pytestmark = pytest.mark.integration
SECRET = "hook-password-4f9a"


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def config(*urls: str, **options: Any) -> AlertsConfig:
    quiet: dict[str, Any] = {"check_seconds": 3600, "session_summary": False}  # checks by hand
    return AlertsConfig.model_validate({"urls": [SecretStr(u) for u in urls], **quiet, **options})


async def test_a_kill_switch_reaches_the_webhook_and_the_mailbox(
    engine: SimEngine, clock: ManualClock, tmp_path: Path
) -> None:
    runtime, _ = sim_runtime(engine, clock, tmp_path / "rt.sqlite")
    async with webhook_receiver() as hook, smtp_server() as box:
        urls = (
            f"json://bot:{SECRET}@127.0.0.1:{hook.port}/alerts",
            f"mailto://127.0.0.1:{box.port}?from=bot@example.com&to=ops@example.com&mode=insecure",
        )
        async with alerts_service(config(*urls))(runtime) as alerts:
            await runtime.start()
            runtime.risk.kill_switch.trip("max drawdown 10% reached")
            await alerts.check()
            await alerts.check()  # still tripped: no second message
    [request] = hook.requests
    assert request["path"] == "/alerts"
    body = request["body"]
    assert body["title"] == "ktrade: KILL SWITCH TRIPPED"
    assert "max drawdown 10% reached" in body["message"]
    assert body["type"] == "failure"
    [mail] = box.messages
    assert mail["Subject"] == "ktrade: KILL SWITCH TRIPPED"
    assert box.recipients == [["ops@example.com"]]
    assert "max drawdown 10% reached" in text_of(mail)
    for text in (str(body), mail.as_string()):
        assert SECRET not in text and str(hook.port) not in body["message"]


async def test_fills_and_the_session_summary_as_a_form_post(
    engine: SimEngine, clock: ManualClock, tmp_path: Path
) -> None:
    runtime, feed = sim_runtime(engine, clock, tmp_path / "rt.sqlite")
    async with webhook_receiver() as hook:
        settings = config(f"form://127.0.0.1:{hook.port}/f", session_summary=True,
                          events=["fill", "daily_pnl"])  # fmt: skip
        async with RuntimeAlerts(runtime, settings) as alerts:
            await runtime.start()
            await play(runtime, engine, feed, clock)
            await alerts.check()
    titles = [r["body"]["title"] for r in hook.requests]
    assert len(titles) == 3, titles
    assert titles[0].startswith("ktrade: fill buy ") and titles[1].startswith("ktrade: fill sell ")
    assert titles[2].startswith("ktrade: session ended: ")
    assert "2 fill(s)" in hook.requests[2]["body"]["message"]


async def test_an_outage_of_rejections_is_capped_then_summarized(
    engine: SimEngine, clock: ManualClock, tmp_path: Path
) -> None:
    runtime, _ = sim_runtime(engine, clock, tmp_path / "rt.sqlite")
    real = Clock()
    async with webhook_receiver() as hook:
        settings = config(f"json://127.0.0.1:{hook.port}/a", cooldown_seconds=0,
                          max_per_minute=3)  # fmt: skip
        async with RuntimeAlerts(runtime, settings, monotonic=real) as alerts:
            for n in range(20):  # twenty different alerts arrive within seconds
                real.t = n * 0.5
                if alerts.limiter.offer(Alert(f"rejected:{n}", f"rejected {n}", "EOrder")):
                    assert alerts.notifier is not None
                    await alerts.notifier.send(Alert(f"rejected:{n}", f"rejected {n}", "x"))
                await alerts.check()
            assert len(hook.requests) == 3
            real.t = 70.0  # the oldest held one has waited a minute: the summary is due
            await alerts.check()
    titles = [r["body"]["title"] for r in hook.requests]
    assert titles == ["rejected 0", "rejected 1", "rejected 2",
                      "ktrade: 17 alert(s) held back"]  # fmt: skip


async def test_a_rejection_storm_is_one_message_per_cooldown(
    engine: SimEngine, clock: ManualClock, tmp_path: Path
) -> None:
    runtime, feed = sim_runtime(engine, clock, tmp_path / "rt.sqlite")
    real = Clock()
    async with webhook_receiver() as hook:
        settings = config(f"json://127.0.0.1:{hook.port}/a", events=["rejected"],
                          cooldown_seconds=600)  # fmt: skip
        async with RuntimeAlerts(runtime, settings, monotonic=real) as alerts:
            await runtime.start()
            for _ in range(3):  # each buy signal is refused by the venue
                engine.fail_next_submit = InvalidOrderError("EOrder:Insufficient funds")
                await play(runtime, engine, feed, clock, candles=4)
                await alerts.check()
                real.t += 30
            assert len(hook.requests) == 1  # within the cooldown: the first one only
            held = alerts.limiter.held["rejected:BTC/USD"]
    titles = [r["body"]["title"] for r in hook.requests]
    assert titles[0].startswith("ktrade: order rejected: buy ")
    assert held >= 1
    assert titles[1:] == [f"ktrade: {held} alert(s) held back"]  # told at the end, not lost
    assert f"{held} x rejected:BTC/USD" in hook.requests[1]["body"]["message"]


async def test_an_unreachable_endpoint_is_logged_not_raised() -> None:
    async with webhook_receiver() as hook:
        port = hook.port
    notifier = await AppriseNotifier.create([SecretStr(f"json://127.0.0.1:{port}/gone")], 5)
    assert not await notifier.send(Alert("x", "t", "b"))
    assert notifier.failed == 1


async def test_a_url_apprise_cannot_read_is_refused_without_showing_it() -> None:
    with pytest.raises(ConfigurationError, match="URL number 2") as caught:
        await AppriseNotifier.create([SecretStr("json://127.0.0.1:9/x"),
                                      SecretStr("nosuch://tok3n-abc")])  # fmt: skip
    assert "tok3n" not in str(caught.value)


async def test_without_urls_the_service_does_nothing(
    engine: SimEngine, clock: ManualClock, tmp_path: Path
) -> None:
    runtime, _ = sim_runtime(engine, clock, tmp_path / "rt.sqlite")
    async with RuntimeAlerts(runtime, AlertsConfig(urls=[])) as alerts:
        runtime.risk.kill_switch.trip("x")
        await alerts.check()
    assert alerts.notifier is None and alerts.delivered == []
