"""Kraken REST's wire format: form-encoded requests, ``{"error": [...], "result": ...}`` replies.

Kept apart from the transport (which signs, sends and retries) so parsing can be read and
tested on its own; the transport and the REST client both use these.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from typing import Any

import httpx

from src.brokers.kraken.constants import ORDER_METHODS
from src.brokers.kraken.errors import error_from_list
from src.core.errors import MalformedResponseError, RestRateLimitError, ServiceUnavailableError
from src.utils.logging import redact_text

__all__ = ["encode_form", "parse_envelope", "parse_reply", "wire_value"]


def encode_form(params: Mapping[str, Any]) -> str:
    """Form-encode parameters (booleans as ``true``/``false``, nested dicts as ``a[b]``)."""
    flat: list[tuple[str, str]] = []
    for key, value in params.items():
        if isinstance(value, Mapping):
            flat.extend((f"{key}[{k}]", wire_value(v)) for k, v in value.items())
        elif isinstance(value, list | tuple):
            flat.append((key, ",".join(wire_value(v) for v in value)))
        else:
            flat.append((key, wire_value(value)))
    return urllib.parse.urlencode(flat)


def wire_value(value: Any) -> str:
    """One parameter as Kraken reads it (booleans lower-case)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_envelope(response: httpx.Response, method: str, *, symbol: str | None = None) -> Any:
    """Return the ``result`` of a Kraken reply or raise the mapped error (see ``parse_reply``)."""
    return parse_reply(response.status_code, response.content, method, symbol=symbol)


def parse_reply(status: int, content: bytes, method: str, *, symbol: str | None = None) -> Any:
    """Return the ``result`` of a Kraken reply (HTTP status, body) or raise the mapped error.

    Raises:
        ServiceUnavailableError: HTTP 5xx (outcome unknown for order calls).
        RestRateLimitError: HTTP 429.
        MalformedResponseError: not JSON, or not ``{"error": [...], "result": ...}``.
        BrokerError: the mapped class of Kraken's first ``E...`` error.
    """
    order_call = method in ORDER_METHODS
    if status >= 500:
        raise ServiceUnavailableError(
            f"Kraken answered HTTP {status}",
            endpoint=method,
            raw=f"HTTP {status}",
            outcome_known=not order_call,
        )
    if status == 429:
        raise RestRateLimitError("Kraken answered HTTP 429", endpoint=method, raw="HTTP 429")
    try:
        body = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError):
        text = content[:80].decode("utf-8", "replace")
        raise MalformedResponseError(
            f"Kraken replied HTTP {status} with a body that is not JSON: {redact_text(text)!r}",
            endpoint=method,
            outcome_known=not order_call,
        ) from None
    if not isinstance(body, dict) or not isinstance(body.get("error", []), list):
        raise MalformedResponseError(
            f"Kraken replied with {type(body).__name__}, not an envelope with an error list",
            endpoint=method,
            outcome_known=not order_call,
        )
    error = error_from_list(body.get("error", []), method, order_call=order_call, symbol=symbol)
    if error is not None:
        raise error
    if status != 200 or "result" not in body:
        raise MalformedResponseError(
            f"Kraken replied HTTP {status} without a result",
            endpoint=method,
            outcome_known=not order_call,
        )
    return body["result"]
