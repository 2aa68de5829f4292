"""Wait for a loopback condition without fixed sleeps: poll briefly, fail loudly on timeout."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def wait_until(condition: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    """Yield to the event loop until ``condition()`` holds; raise naming ``what`` otherwise."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)
