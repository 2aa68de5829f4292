"""One order request as the venue reads it, and the checks Kraken answers with a ``sendStatus``.

Each refusal is one of Kraken's documented statuses (spec ``sendorder``): the request was
assessed, nothing was placed. Checks that need the book or the account (margin, self-fill,
post-only, IOC) run in ``engine.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from src.venues.kraken_futures_paper.contracts import Contract

__all__ = ["CLI_ORD_ID_MAX", "ORDER_TYPES", "OrderRequest", "Refusal", "check_request"]

ORDER_TYPES = frozenset({"lmt", "post", "ioc", "mkt", "fok", "stp", "take_profit", "trailing_stop"})
#: Kraken documents ``clientOrderIdTooLong`` but no length; 100 is the chosen limit.
CLI_ORD_ID_MAX = 100


class Refusal(Exception):
    """An order was assessed and refused; ``status`` is Kraken's ``sendStatus.status``."""

    def __init__(self, status: str, reason: str | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.reason = reason


@dataclass
class OrderRequest:
    """A ``sendorder`` (or batch ``send``) request, typed."""

    kind: str
    symbol: str
    side: str
    size: Decimal
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    trigger_signal: str = "last"
    cli_ord_id: str | None = None
    reduce_only: bool = False
    trailing_deviation: Decimal | None = None
    trailing_unit: str | None = None
    process_before: datetime | None = None


def check_request(request: OrderRequest, contract: Contract, now: datetime) -> None:
    """Refuse a request that is wrong on its own terms (before any book or account check)."""
    if request.kind not in ORDER_TYPES:
        raise Refusal("invalidOrderType")
    if request.side not in ("buy", "sell"):
        raise Refusal("invalidSide")
    if request.process_before is not None and now > request.process_before:
        raise Refusal("wouldProcessAfterSpecifiedTime")
    if not contract.tradeable:
        raise Refusal("marketInactive" if contract.settled else "marketSuspended")
    if contract.post_only and request.kind != "post":
        raise Refusal("marketIsPostOnly")
    if request.size <= 0 or not contract.on_lot(request.size):
        raise Refusal("invalidSize")
    if request.cli_ord_id is not None and len(request.cli_ord_id) > CLI_ORD_ID_MAX:
        raise Refusal("clientOrderIdTooLong")
    _check_prices(request, contract)


def _check_prices(request: OrderRequest, contract: Contract) -> None:
    needs_limit = request.kind in ("lmt", "post", "ioc", "fok")
    if needs_limit and request.limit_price is None:
        raise Refusal("invalidPrice")
    if request.kind == "mkt" and request.limit_price is not None:
        raise Refusal("invalidPrice")
    if request.kind in ("stp", "take_profit") and request.stop_price is None:
        raise Refusal("invalidPrice")
    if request.kind == "trailing_stop":
        if request.trailing_deviation is None or request.trailing_unit not in (
            "PERCENT",
            "QUOTE_CURRENCY",
        ):
            raise Refusal("invalidPrice")
        if request.trailing_unit == "PERCENT" and not (
            Decimal("0.1") <= request.trailing_deviation <= 50
        ):
            raise Refusal("invalidPrice")
    for price in (request.limit_price, request.stop_price):
        if price is not None and (price <= 0 or not contract.on_tick(price)):
            raise Refusal("invalidPrice")
