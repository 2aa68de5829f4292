"""Price/quantity precision per WS v2 symbol, from the instrument channel or REST AssetPairs."""

from __future__ import annotations

from typing import Any

__all__ = ["precision_from_asset_pairs", "precision_from_instrument", "v2_symbol"]

# WS v2 names BTC and DOGE where REST/WS v1 say XBT and XDG (docs: WS v2 FAQ).
_V2_ASSET = {"XBT": "BTC", "XDG": "DOGE"}


def _v2_asset(code: str) -> str:
    # tolerate legacy ids (XETH, ZUSD, XXBT) where an altname was expected
    if len(code) == 4 and code[0] in "XZ" and code[1:].isalpha():
        code = code[1:]
    return _V2_ASSET.get(code, code)


def v2_symbol(wsname: str) -> str:
    """Translate a REST ``wsname`` (``XBT/USD``) to the WS v2 symbol (``BTC/USD``)."""
    return "/".join(_v2_asset(part) for part in wsname.split("/"))


def precision_from_instrument(data: Any) -> dict[str, tuple[int, int]]:
    """``symbol -> (price_precision, qty_precision)`` from an ``instrument`` data object."""
    out: dict[str, tuple[int, int]] = {}
    pairs = data.get("pairs") if isinstance(data, dict) else None
    for pair in pairs if isinstance(pairs, list) else ():
        if not isinstance(pair, dict):
            continue
        symbol, pp, qp = pair.get("symbol"), pair.get("price_precision"), pair.get("qty_precision")
        if isinstance(symbol, str) and isinstance(pp, int) and isinstance(qp, int):
            out[symbol] = (pp, qp)
    return out


def precision_from_asset_pairs(result: Any) -> dict[str, tuple[int, int]]:
    """``symbol -> (pair_decimals, lot_decimals)`` from an AssetPairs ``result``."""
    out: dict[str, tuple[int, int]] = {}
    for entry in (result if isinstance(result, dict) else {}).values():
        if not isinstance(entry, dict):
            continue
        wsname, pp, qp = entry.get("wsname"), entry.get("pair_decimals"), entry.get("lot_decimals")
        if isinstance(wsname, str) and isinstance(pp, int) and isinstance(qp, int):
            out[v2_symbol(wsname)] = (pp, qp)
    return out
