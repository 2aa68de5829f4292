"""Session services (dashboard, metrics server...): entered in order, exited in reverse, always."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, cast

import pytest

from src.app.trading_session import Service, running
from src.core.runtime import TradingRuntime

RUNTIME = cast(TradingRuntime, object())  # the services only hand it on


def recorder(name: str, events: list[str], *, fail_on_enter: bool = False) -> Service:
    @asynccontextmanager
    async def service(runtime: TradingRuntime) -> AsyncIterator[object]:
        assert runtime is RUNTIME
        if fail_on_enter:
            raise OSError(f"{name} cannot bind its port")
        events.append(f"enter {name}")
        try:
            yield name
        except BaseException as exc:
            events.append(f"exit {name} after {type(exc).__name__}")
            raise
        events.append(f"exit {name}")

    def start(runtime: TradingRuntime) -> AbstractAsyncContextManager[object]:
        return service(runtime)

    return start


async def test_services_start_in_order_and_stop_in_reverse_around_the_session() -> None:
    events: list[str] = []
    async with running([recorder("dashboard", events), recorder("metrics", events)], RUNTIME):
        events.append("run")
    assert events == ["enter dashboard", "enter metrics", "run", "exit metrics", "exit dashboard"]


async def test_every_service_is_stopped_when_the_session_fails() -> None:
    events: list[str] = []

    class Boom(Exception):
        pass

    async def session() -> None:
        async with running([recorder("dashboard", events), recorder("metrics", events)], RUNTIME):
            events.append("run")
            raise Boom

    with pytest.raises(Boom):
        await session()
    assert events == [
        "enter dashboard",
        "enter metrics",
        "run",
        "exit metrics after Boom",
        "exit dashboard after Boom",
    ]


async def test_a_service_that_cannot_start_stops_those_started_and_the_session() -> None:
    events: list[str] = []
    services = [recorder("dashboard", events), recorder("metrics", events, fail_on_enter=True)]
    ran: list[Any] = []

    async def session() -> None:
        async with running(services, RUNTIME):
            ran.append(True)

    with pytest.raises(OSError, match="metrics cannot bind"):
        await session()
    assert ran == []  # never trades without the services it was asked to run
    assert events == ["enter dashboard", "exit dashboard after OSError"]
