"""Background work of a session service: a step repeated on a timer, and its orderly stop."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable, Callable
from typing import Any


def start_periodic(
    step: Callable[[], object | Awaitable[object]], seconds: float, *, name: str
) -> asyncio.Task[None]:
    """Run ``step`` every ``seconds`` (first after one interval) until the task is cancelled.

    ``step`` may be a plain function or a coroutine function. An exception it raises ends the
    task and comes out of ``stop_task``: a step that must never stop catches its own errors.
    """

    async def repeat() -> None:
        while True:
            await asyncio.sleep(seconds)
            result = step()
            if inspect.isawaitable(result):
                await result

    return asyncio.create_task(repeat(), name=name)


async def stop_task(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` (when there is one) and wait until it has finished."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
