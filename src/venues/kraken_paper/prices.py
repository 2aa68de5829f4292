"""Order prices as Kraken reads them: absolute, relative (``+``, ``-``, ``#``, ``%``), trailing.

Docs (rest-api/add-order): ``price``/``price2`` may be prefixed ``+`` or ``-`` (added to or
taken from the last traded price) or ``#`` (added or taken depending on side and order type)
and suffixed ``%`` (a percentage of the last price). Trailing stops must give ``price`` as a
``+`` offset (the trail); a trailing-stop-limit's ``price2`` is a ``+``/``-`` offset from the
trigger price. What ``#`` means per type is assumed here: the way that does not cross, i.e.
below the last price for a buy limit or buy take-profit and a sell stop, above it otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from src.venues.kraken_paper.errors import invalid_arguments
from src.venues.kraken_paper.pairs import PairSpec
from src.venues.kraken_paper.validation import check_price, parse_decimal

TRAILING = ("trailing-stop", "trailing-stop-limit")


@dataclass(frozen=True)
class Offset:
    """A relative amount: ``sign`` (+1/-1), ``value`` (positive) and whether it is percent."""

    sign: int
    value: Decimal
    pct: bool

    def of(self, reference: Decimal) -> Decimal:
        """The signed amount it stands for against ``reference``."""
        amount = reference * self.value / 100 if self.pct else self.value
        return self.sign * amount

    def text(self, decimals: int) -> str:
        """As Kraken prints it in ``descr``: ``+50.0`` or ``+5.0000%``."""
        sign = "+" if self.sign > 0 else "-"
        return f"{sign}{self.value:.4f}%" if self.pct else f"{sign}{self.value:.{decimals}f}"


@dataclass(frozen=True)
class PriceTerms:
    """``price`` and ``price2`` resolved, and the offsets a trailing order keeps."""

    price: Decimal | None
    price2: Decimal | None
    trail: Offset | None = None
    limit_offset: Offset | None = None


def _split(value: Any, name: str) -> tuple[str, Decimal, bool]:
    text = str(value).strip()
    prefix = text[0] if text[:1] in ("+", "-", "#") else ""
    body = text[len(prefix) :]
    pct = body.endswith("%")
    amount = parse_decimal(body[:-1] if pct else body, name)
    if amount <= 0 and (prefix or pct):
        raise invalid_arguments(name)
    return prefix, amount, pct


def on_tick(spec: PairSpec, price: Decimal) -> Decimal:
    """A computed price rounded to the pair's tick (at least one tick)."""
    steps = (price / spec.tick_size).to_integral_value(ROUND_HALF_UP)
    return max(steps, Decimal(1)) * spec.tick_size


def _hash_sign(side: str, ordertype: str) -> int:
    """``#``: away from crossing (a buy limit below the last price, a sell stop below it...)."""
    below = (side == "buy") != ordertype.startswith("stop-loss")
    return -1 if below else 1


def price_of(
    spec: PairSpec, value: Any, name: str, last: Decimal, side: str, ordertype: str
) -> Decimal:
    """An absolute price from an absolute or relative ``price``/``price2``."""
    prefix, amount, pct = _split(value, name)
    if not prefix and not pct:
        return check_price(spec, value, name)
    if not prefix:  # a bare percentage is a percentage of the last price
        return on_tick(spec, last * amount / 100)
    sign = {"+": 1, "-": -1}.get(prefix) or _hash_sign(side, ordertype)
    return on_tick(spec, last + Offset(sign, amount, pct).of(last))


def _offset(value: Any, name: str, signs: str) -> Offset:
    prefix, amount, pct = _split(value, name)
    if prefix not in tuple(signs):
        raise invalid_arguments(name)
    return Offset(1 if prefix == "+" else -1, amount, pct)


def trail_trigger(spec: PairSpec, side: str, trail: Offset, reference: Decimal) -> Decimal:
    """The trigger a trail puts at ``reference``: under it for a sell, over it for a buy."""
    amount = trail.of(reference)
    return on_tick(spec, reference - amount if side == "sell" else reference + amount)


def parse_prices(
    params: dict[str, Any], spec: PairSpec, ordertype: str, side: str, last: Decimal
) -> PriceTerms:
    """``price`` (required unless market) and ``price2`` (``*-limit`` types), resolved.

    Raises:
        KrakenError: A price is missing, malformed, off the tick, or a trailing order's
            offsets lack their ``+`` (``+``/``-`` for ``price2``).
    """
    raw, raw2 = params.get("price"), params.get("price2")
    if ordertype != "market" and raw in (None, ""):
        raise invalid_arguments("price")
    if ordertype.endswith("-limit") and raw2 in (None, ""):
        raise invalid_arguments("price2")
    if ordertype in TRAILING:
        trail = _offset(raw, "price", "+")
        limit = _offset(raw2, "price2", "+-") if ordertype == "trailing-stop-limit" else None
        return PriceTerms(trail_trigger(spec, side, trail, last), None, trail, limit)
    price = None if ordertype == "market" else price_of(spec, raw, "price", last, side, ordertype)
    price2 = None
    if ordertype.endswith("-limit"):
        price2 = price_of(spec, raw2, "price2", last, side, ordertype.removesuffix("-limit"))
    return PriceTerms(price, price2)


__all__ = ["TRAILING", "Offset", "PriceTerms", "on_tick", "parse_prices", "trail_trigger"]
