"""The one way tests wait for something asynchronous: poll briefly, fail loudly, never sleep blind.

Loopback delivery, background tasks and streams make results arrive "soon"; a fixed sleep is
either too long (slow suite) or too short (flaky suite). ``eventually`` polls instead.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")


@overload
async def eventually(
    check: Callable[[], Awaitable[T]],
    what: str = ...,
    *,
    ok: Callable[[T], object] = ...,
    timeout: float = ...,
    interval: float = ...,
) -> T: ...


@overload
async def eventually(
    check: Callable[..., T],
    what: str = ...,
    *,
    ok: Callable[[T], object] = ...,
    timeout: float = ...,
    interval: float = ...,
) -> T: ...


async def eventually(
    check: Callable[[], Any],
    what: str = "the condition",
    *,
    ok: Callable[[Any], object] = bool,
    timeout: float = 5.0,
    interval: float = 0.01,
) -> Any:
    """Call ``check`` (sync or async) until ``ok(result)`` holds, and return that result.

    An exception raised by ``check`` counts as "not yet" until the deadline, then propagates
    (a lookup that fails while a stream catches up is normal). On timeout the error names
    ``what`` and the last result.

    Args:
        check: The probe; may return a value or an awaitable.
        what: What is awaited, for the failure message.
        ok: Whether a result is the awaited one (default: truthy).
        timeout: Real seconds before failing.
        interval: Real seconds between probes.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            result = check()
            if inspect.isawaitable(result):
                result = await result
            if ok(result):
                return result
        except Exception:
            if loop.time() > deadline:
                raise
        else:
            if loop.time() > deadline:
                raise AssertionError(
                    f"timed out after {timeout} s waiting for {what}; last: {result!r}"
                )
        await asyncio.sleep(interval)


__all__ = ["eventually"]
