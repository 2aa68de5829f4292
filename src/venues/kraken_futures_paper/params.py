"""Reading request parameters the way Kraken accepts them: from the query, the form body, or both.

Kraken's REST guide says state changes send parameters in the body; its spec declares them in
the query and ccxt sends them there. Both are read, the body winning. ``batchorder``'s ``json``
arrives url-encoded (python-kraken-sdk, Kraken's advice) or raw (ccxt); both parse.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from src.venues.kraken_futures_paper.orders import OrderRequest

__all__ = ["BadRequest", "Params", "order_request", "read_params"]


class BadRequest(Exception):
    """The request is malformed; ``error`` is Kraken's envelope error text."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class Params:
    """Request parameters, each possibly repeated (``orderIds=a&orderIds=b``)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.values: dict[str, list[str]] = {}
        for key, value in pairs:
            self.values.setdefault(key, []).append(value)

    def get(self, key: str) -> str | None:
        """The last value of ``key`` (None when absent or blank)."""
        found = self.values.get(key)
        return found[-1] if found and found[-1] != "" else None

    def all(self, key: str) -> list[str]:
        """Every value of ``key`` (also ``key[]`` and comma-separated forms)."""
        out: list[str] = []
        for name in (key, f"{key}[]"):
            for value in self.values.get(name, []):
                out.extend(v for v in value.split(",") if v)
        return out

    def require(self, key: str) -> str:
        """``key``'s value, or ``requiredArgumentMissing``."""
        value = self.get(key)
        if value is None:
            raise BadRequest("requiredArgumentMissing")
        return value

    def decimal(self, key: str, required: bool = False) -> Decimal | None:
        """``key`` as a Decimal (``invalidArgument`` when not a number)."""
        value = self.require(key) if required else self.get(key)
        return None if value is None else to_decimal(value)

    def flag(self, key: str) -> bool:
        """``key`` as a boolean (``true``/``True``/``1``)."""
        return (self.get(key) or "").lower() in ("true", "1")


def to_decimal(value: Any) -> Decimal:
    """A wire number (text or JSON number) as Decimal, or ``invalidArgument``."""
    if isinstance(value, bool):
        raise BadRequest("invalidArgument")
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise BadRequest("invalidArgument") from None
    if not result.is_finite():
        raise BadRequest("invalidArgument")
    return result


def read_params(query: str, body: str) -> Params:
    """Query then body parameters (both url-decoded)."""
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    if body:
        pairs += urllib.parse.parse_qsl(body, keep_blank_values=True)
    return Params(pairs)


def _time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest("invalidArgument") from None


def order_request(source: Params | Mapping[str, Any]) -> OrderRequest:
    """A ``sendorder`` request (or a batch ``send`` instruction) as typed fields."""
    params = source if isinstance(source, Params) else Params(
        [(k, _text(v)) for k, v in source.items() if v is not None]
    )  # fmt: skip
    kind = params.require("orderType")
    return OrderRequest(
        kind=kind,
        symbol=params.require("symbol").upper(),
        side=params.require("side").lower(),
        size=to_decimal(params.require("size")),
        limit_price=params.decimal("limitPrice"),
        stop_price=params.decimal("stopPrice"),
        trigger_signal=(params.get("triggerSignal") or "last").lower(),
        cli_ord_id=params.get("cliOrdId"),
        reduce_only=params.flag("reduceOnly"),
        trailing_deviation=params.decimal("trailingStopMaxDeviation"),
        trailing_unit=(params.get("trailingStopDeviationUnit") or "").upper() or None,
        process_before=_time(params.get("processBefore")),
    )


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def batch_instructions(params: Params) -> list[dict[str, Any]]:
    """The ``batchOrder`` list of a ``batchorder`` request (``Json Parse Error`` if bad)."""
    text = params.get("json")
    if text is None:
        raise BadRequest("requiredArgumentMissing")
    try:
        body = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError:
        raise BadRequest("Json Parse Error") from None
    rows = body.get("batchOrder") if isinstance(body, dict) else None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise BadRequest("Json Parse Error")
    return rows
