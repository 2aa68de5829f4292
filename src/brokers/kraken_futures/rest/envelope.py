"""Kraken Futures reply envelopes: HTTP status and ``result``/``error``/``errors`` to data or error.

Trading replies are ``{"result":"success","serverTime":...,<payload>}`` or
``{"result":"error","serverTime":...,"error":"<text>"}``; the spec also allows
``errors:[{code,message}]`` (ccxt saw an HTTP 500 ``INSUFFICIENT_MARGIN`` so). Charts replies
have no envelope. The history API answers over-budget with HTTP 429 and ``rate-limit-reset``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from src.brokers.kraken_futures.errors import ERROR_RULES, error_for
from src.core.errors import (
    MalformedResponseError,
    RestRateLimitError,
    ServiceUnavailableError,
)
from src.utils.logging import redact_text

__all__ = ["parse_reply"]


def _json(content: bytes) -> Any:
    try:
        # Decimal, never float: prices and sizes keep every digit Kraken sent.
        return json.loads(content, parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _NOT_JSON


_NOT_JSON = object()


def _errors_list(body: Mapping[str, Any]) -> str | None:
    errors = body.get("errors")
    if isinstance(errors, list):
        for item in errors:
            if isinstance(item, Mapping) and isinstance(item.get("message"), str):
                return str(item["message"])
    return None


def _retry_after(headers: Mapping[str, str]) -> float | None:
    try:
        return float(headers.get("rate-limit-reset", ""))
    except ValueError:
        return None


def parse_reply(
    status: int,
    headers: Mapping[str, str],
    content: bytes,
    endpoint: str,
    *,
    order_call: bool = False,
    envelope: bool = True,
    symbol: str | None = None,
) -> dict[str, Any]:
    """Return the reply's JSON object, or raise the error it stands for.

    Raises:
        RestRateLimitError: HTTP 429 (``retry_after`` from ``rate-limit-reset``) or
            ``apiLimitExceeded``.
        ServiceUnavailableError: HTTP 5xx without a known error (outcome unknown for orders).
        MalformedResponseError: not JSON, not an object, or no ``result``.
        BrokerError: the mapped class of Kraken's ``error`` / ``errors[]`` text.
    """
    if status == 429:
        raise RestRateLimitError(
            "Kraken Futures answered HTTP 429 (budget spent)",
            endpoint=endpoint,
            raw="HTTP 429",
            retry_after=_retry_after(headers),
        )
    body = _json(content)
    if isinstance(body, dict):
        known = body.get("error") if body.get("result") == "error" else _errors_list(body)
        if isinstance(known, str) and (status < 500 or known in ERROR_RULES):
            raise error_for(known, endpoint, order_call=order_call, symbol=symbol)
    if status >= 500:
        raise ServiceUnavailableError(
            f"Kraken Futures answered HTTP {status}"
            + ("; the order outcome is unknown" if order_call else ""),
            endpoint=endpoint,
            raw=f"HTTP {status}",
            outcome_known=not order_call,
        )
    return _checked(body, status, content, endpoint, order_call, envelope)


def _checked(
    body: Any, status: int, content: bytes, endpoint: str, order_call: bool, envelope: bool
) -> dict[str, Any]:
    problem: str | None = None
    if body is _NOT_JSON:
        problem = f"a body that is not JSON: {redact_text(content[:80].decode(errors='replace'))!r}"
    elif not isinstance(body, dict):
        problem = f"JSON {type(body).__name__}, not an object"
    elif envelope and body.get("result") != "success":
        problem = f"no result=success (result={body.get('result')!r})"
    elif status != 200:
        problem = f"HTTP {status}"
    if problem is not None:
        raise MalformedResponseError(
            f"Kraken Futures {endpoint} replied with {problem}",
            endpoint=endpoint,
            outcome_known=not order_call,
        )
    assert isinstance(body, dict)
    return body
