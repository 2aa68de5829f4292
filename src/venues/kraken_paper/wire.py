"""Request body parsing (form with bracketed keys, or JSON) and Kraken response envelopes."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from src.venues.kraken_paper.errors import invalid_arguments

_KEY = re.compile(r"[^\[\]]+")


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _listify(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
    return node


def parse_form(text: str) -> dict[str, Any]:
    """Form body to a dict; ``orders[0][price]=1`` and ``close[price]=1`` become nested values."""
    out: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        parts = _KEY.findall(key)
        if not parts:
            continue
        node = out
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise invalid_arguments(parts[0])
            node = child
        node[parts[-1]] = value
    result: dict[str, Any] = _listify(out)
    return result


def parse_body(body: bytes, content_type: str) -> dict[str, Any]:
    """Decode a private request body (JSON or form) into parameters."""
    text = body.decode("utf-8", errors="strict") if body else ""
    if "json" in content_type or text.lstrip().startswith("{"):
        try:
            data = json.loads(text) if text.strip() else {}
        except ValueError:
            raise invalid_arguments() from None
        if not isinstance(data, dict):
            raise invalid_arguments()
        return data
    return parse_form(text)


def ok(result: Any) -> web.Response:
    """``{"error": [], "result": ...}``."""
    return web.json_response({"error": [], "result": result})


def fail(message: str, status: int = 200) -> web.Response:
    """``{"error": [message]}`` (HTTP 200: Kraken reports API errors in the body)."""
    return web.json_response({"error": [message]}, status=status)
