"""The keys under which the simulator's aiohttp app holds its shared state.

Both the REST routes (``app``) and the stream (``stream``) read them; keeping them here lets
``app`` mount the stream without the stream importing ``app`` back.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from src.venues.alpaca_sim.faults import Faults
from src.venues.alpaca_sim.state import SimState

STATE: web.AppKey[SimState] = web.AppKey("state", SimState)
FAULTS: web.AppKey[Faults] = web.AppKey("faults", Faults)
CREDS: web.AppKey[dict[str, str]] = web.AppKey("creds", dict)
LIMIT: web.AppKey[dict[str, Any]] = web.AppKey("limit", dict)
# id(ws) -> the request that opened it (its transport is what a "drop" aborts)
SOCKETS: web.AppKey[dict[int, web.Request]] = web.AppKey("sockets")
# ids of connections that are authorized and listening to trade_updates
LISTENING: web.AppKey[set[int]] = web.AppKey("listening")
# the shape (action and field names, never values) of every stream auth message received
AUTH_LOG: web.AppKey[list[dict[str, Any]]] = web.AppKey("auth_log")

__all__ = ["AUTH_LOG", "CREDS", "FAULTS", "LIMIT", "LISTENING", "SOCKETS", "STATE"]
