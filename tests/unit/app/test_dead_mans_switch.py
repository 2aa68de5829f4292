"""The dead man's switch: a failed re-arm is retried and shown; one that cannot be kept armed
trips the kill switch; a failed disarm says what Kraken will do."""

from __future__ import annotations

from typing import Any, cast

from src.app.venue import DeadMansSwitch
from src.brokers.kraken_adapter import KrakenAdapter
from src.core.errors import RestRateLimitError
from src.core.kill_switch import KillSwitch


class FlakyAdapter:
    """Answers CancelAllOrdersAfter from a script: an exception to raise, or a success."""

    def __init__(self, script: list[bool]) -> None:
        self.script = script
        self.calls: list[int] = []

    async def cancel_all_orders_after(self, timeout: int) -> dict[str, Any]:
        self.calls.append(timeout)
        if self.script and not self.script.pop(0):
            raise RestRateLimitError("EAPI:Rate limit exceeded", endpoint="CancelAllOrdersAfter")
        return {"currentTime": "now", "triggerTime": "later"}


def _switch(adapter: FlakyAdapter, shown: list[str], kill: KillSwitch) -> DeadMansSwitch:
    return DeadMansSwitch(
        cast(KrakenAdapter, adapter), 60, retry_delay=0, on_lost=kill.trip, warn=shown.append
    )


async def test_a_failed_rearm_is_retried_at_once_and_shown() -> None:
    shown: list[str] = []
    kill = KillSwitch()
    switch = _switch(FlakyAdapter([False, True]), shown, kill)
    await switch()
    assert switch.trigger_time == "later" and switch.failures == 0
    assert len(shown) == 1 and "re-arm failed" in shown[0]
    assert not kill.tripped


async def test_a_switch_that_cannot_be_armed_trips_the_kill_switch() -> None:
    shown: list[str] = []
    kill = KillSwitch()
    adapter = FlakyAdapter([False] * 10)
    switch = _switch(adapter, shown, kill)
    await switch()
    assert adapter.calls == [60, 60, 60]  # the first try and two retries
    assert kill.tripped and "could not be armed" in (kill.reason or "")


async def test_a_recent_arming_rides_out_one_failed_beat() -> None:
    shown: list[str] = []
    kill = KillSwitch()
    switch = _switch(FlakyAdapter([True, False, False, False]), shown, kill)
    await switch()
    await switch()  # fails three times, but the last arming has ~60 s left
    assert not kill.tripped and switch.failures == 3


async def test_a_failed_disarm_says_what_kraken_will_do() -> None:
    shown: list[str] = []
    switch = _switch(FlakyAdapter([False]), shown, KillSwitch())
    await switch.disarm()
    assert "will cancel every open order" in shown[-1]


async def test_unarmed_time_is_measured_on_the_exchange_clock() -> None:
    # A paper exchange 1800x faster than real time: 40 of its seconds pass between two beats.
    now = [0.0]
    kill = KillSwitch()
    adapter = FlakyAdapter([True, False, False, False])
    switch = DeadMansSwitch(
        cast(KrakenAdapter, adapter), 60, retry_delay=0, on_lost=kill.trip,
        warn=lambda text: None, monotonic=lambda: now[0],
    )  # fmt: skip
    await switch()
    now[0] += 40.0  # more than half the timeout, on the exchange's clock
    await switch()
    assert kill.tripped and "not re-armed for 40 s" in (kill.reason or "")
