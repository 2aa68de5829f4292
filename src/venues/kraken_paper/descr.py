"""Kraken's order description texts (``descr.order``, ``descr.close``).

Layout per the spec's and ccxt's examples: ``buy 1.25000000 XBTUSD @ limit 30010.0``,
``sell 0.28000000 ETHUSD @ stop loss 2677.00 -> limit 2577.00`` and, for a conditional close,
``close position @ stop loss 22000.0 -> limit 21000.0``. ccxt splits the order text on spaces
(side, volume, pair, type, prices), so the words stay where Kraken puts them.
"""

from __future__ import annotations

from decimal import Decimal

from src.venues.kraken_paper.pairs import PairSpec

_WORDS = {
    "market": "market",
    "limit": "limit",
    "iceberg": "iceberg",
    "stop-loss": "stop loss",
    "take-profit": "take profit",
    "stop-loss-limit": "stop loss",
    "take-profit-limit": "take profit",
    "trailing-stop": "trailing stop",
    "trailing-stop-limit": "trailing stop limit",
}


def price_text(spec: PairSpec, value: Decimal | None) -> str:
    """A price with the pair's decimals (``""`` for none)."""
    return "" if value is None else f"{value:.{spec.pair_decimals}f}"


def type_text(ordertype: str, price: str, price2: str) -> str:
    """The part after ``@`` from written prices.

    ``limit 30010.0``, ``stop loss 2677.00 -> limit 2577.00``, ``trailing stop +50.0000%``.
    """
    word = _WORDS[ordertype]
    if ordertype == "market":
        return word
    text = f"{word} {price}"
    if ordertype.endswith("-limit"):
        text += f" -> limit {price2}"
    return text


def order_text(
    spec: PairSpec, side: str, volume: Decimal, ordertype: str, price: str, price2: str
) -> str:
    """``descr.order``: side, volume, pair altname, ``@``, type and prices."""
    head = f"{side} {volume:.{spec.lot_decimals}f} {spec.altname} @ "
    return head + type_text(ordertype, price, price2)


def close_text(
    spec: PairSpec, ordertype: str | None, price: Decimal | None, price2: Decimal | None
) -> str:
    """``descr.close``: ``close position @ limit 31000.0``, or ``""`` without close terms."""
    if ordertype is None:
        return ""
    return "close position @ " + type_text(
        ordertype, price_text(spec, price), price_text(spec, price2)
    )
