"""Kraken Futures reply shapes: ``result``/``serverTime`` envelopes, exact JSON numbers, times.

Kraken writes numbers as JSON numbers; this writes every ``Decimal`` as its exact decimal
literal (never through a float) so a client that reads Decimals sees the venue's own figures.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aiohttp import web

__all__ = ["dumps", "error_reply", "iso", "ms", "ok_reply", "plain_number"]


def plain_number(value: Decimal) -> str:
    """A Decimal as a JSON number literal (no exponent, no trailing zeros beyond one)."""
    text = format(value.normalize(), "f")
    return text if text not in ("-0", "") else "0"


def dumps(value: Any) -> str:
    """JSON text with Decimals written exactly."""
    if isinstance(value, Decimal):
        return plain_number(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value)


def iso(when: datetime) -> str:
    """Kraken's REST time: ``2016-02-25T09:45:53.818Z``."""
    utc = when.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def ms(when: datetime) -> int:
    """Epoch milliseconds (WebSocket, charts, history)."""
    return int(when.timestamp() * 1000)


def _json(payload: dict[str, Any], status: int = 200) -> web.Response:
    return web.Response(text=dumps(payload), status=status, content_type="application/json")


def ok_reply(now: datetime, **payload: Any) -> web.Response:
    """``{"result":"success","serverTime":...,**payload}``."""
    return _json({"result": "success", "serverTime": iso(now), **payload})


def error_reply(now: datetime, error: str, status: int = 200) -> web.Response:
    """``{"result":"error","serverTime":...,"error":"<text>"}`` (Kraken answers HTTP 200)."""
    return _json({"result": "error", "serverTime": iso(now), "error": error}, status)
