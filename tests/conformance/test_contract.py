"""The suite's own preconditions: the engine implements the protocol, the fixture every control.

When a new broker fails here, the message lists exactly what its adapter or fixture lacks.
"""

from __future__ import annotations

import inspect

from src.core.execution import ExecutionEngine
from tests.conformance.venue import REQUIRED_CONTROLS, Venue

PROTOCOL_METHODS = [
    name
    for name, member in vars(ExecutionEngine).items()
    if inspect.isfunction(member)
    and (not name.startswith("_") or name in ("__aenter__", "__aexit__"))
]
ASYNC_CONTROLS = (
    "fill_partially",
    "lose_next_submit_reply",
    "malform_next_account_reply",
    "drop_stream",
)


def test_engine_implements_every_protocol_method(venue: Venue) -> None:
    missing = [name for name in PROTOCOL_METHODS if not callable(getattr(venue.engine, name, None))]
    assert not missing, f"{venue.name}: adapter lacks ExecutionEngine methods {missing}"
    assert isinstance(venue.engine, ExecutionEngine)
    wrong_kind = [
        name
        for name in PROTOCOL_METHODS
        if name != "stream_fills" and not inspect.iscoroutinefunction(getattr(venue.engine, name))
    ]
    assert not wrong_kind, f"{venue.name}: these must be `async def`: {wrong_kind}"
    assert inspect.isasyncgenfunction(venue.engine.stream_fills) or callable(
        venue.engine.stream_fills
    ), f"{venue.name}: stream_fills() must return an async iterator of Fill"


def test_fixture_provides_every_venue_control(venue: Venue) -> None:
    missing = [name for name in REQUIRED_CONTROLS if not hasattr(venue.control, name)]
    assert not missing, (
        f"{venue.name}: the fixture's venue control lacks {missing}; "
        "see tests/conformance/venue.py::VenueControl and docs/conformance.md"
    )
    not_async = [
        name
        for name in REQUIRED_CONTROLS
        if name in ASYNC_CONTROLS and not inspect.iscoroutinefunction(getattr(venue.control, name))
    ]
    assert not not_async, f"{venue.name}: venue controls must be `async def`: {not_async}"
