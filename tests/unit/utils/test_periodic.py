"""A session service's timer: repeats its step, stops cleanly, and lets a failure out."""

from __future__ import annotations

import asyncio

import pytest

from src.utils.periodic import start_periodic, stop_task


async def test_a_plain_and_a_coroutine_step_repeat_until_stopped() -> None:
    calls: list[str] = []

    async def checked() -> None:
        calls.append("async")

    plain = start_periodic(lambda: calls.append("sync"), 0.01, name="plain")
    awaited = start_periodic(checked, 0.01, name="awaited")
    assert calls == []  # the first step waits one interval
    await asyncio.sleep(0.08)
    await stop_task(plain)
    await stop_task(awaited)
    seen = len(calls)
    assert calls.count("sync") >= 2 and calls.count("async") >= 2
    await asyncio.sleep(0.03)
    assert len(calls) == seen
    assert plain.cancelled() and awaited.cancelled()


async def test_a_failing_step_ends_the_task_and_comes_out_of_stop() -> None:
    def broken() -> None:
        raise RuntimeError("disk full")

    task = start_periodic(broken, 0.001, name="broken")
    await asyncio.sleep(0.02)
    assert task.done()
    with pytest.raises(RuntimeError, match="disk full"):
        await stop_task(task)


async def test_stopping_nothing_is_allowed() -> None:
    await stop_task(None)
