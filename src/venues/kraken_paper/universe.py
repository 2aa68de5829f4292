"""Every Kraken spot pair and asset, from the snapshots shipped in ``data/kraken-universe/``.

Two real captures are merged (see that folder's SOURCES.md):

- the WS v2 ``instrument`` snapshot (~2024-04, 683 pairs, 296 assets) says which pairs exist,
  their status, precisions and minimums, and each asset's precisions and collateral value;
- the REST AssetPairs capture (2021-04-17) gives Kraken's legacy names: pair keys
  (``XXBTZUSD``), altnames (``XBTUSD``), v1 wsnames (``XBT/USD``) and asset ids (``XXBT``,
  ``ZEUR``), plus the stablecoin/FX fee schedule.

A pair listed after 2021 has no legacy entry; its names follow the rule Kraken has used for
new listings since 2019 (key = altname = base altname + quote altname; asset id = the
altname), an assumption stated in docs/paper_exchange.md. The six pairs the exchange always
served keep the values it always had (``OVERRIDES``).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parents[3] / "data" / "kraken-universe"
INSTRUMENTS = DATA_DIR / "instrument_snapshot_2024-04.json"
LEGACY_PAIRS = DATA_DIR / "AssetPairs_2021-04-17.json"
# Kraken's pre-ISO asset names; WS v2 uses the right-hand ones (docs FAQ: "BTC instead of XBT").
ISO = {"XBT": "BTC", "XDG": "DOGE"}
_STATUS = {"depositonly": "deposit_only", "withdrawalonly": "withdrawal_only",
           "fundingtemporarilydisabled": "funding_temporarily_disabled"}  # fmt: skip


@dataclass(frozen=True)
class RawAsset:
    """One asset as the snapshots give it (WS v2 name, legacy id and altname)."""

    id: str
    altname: str
    ws_name: str
    decimals: int
    display_decimals: int
    collateral_value: Decimal
    status: str


@dataclass(frozen=True)
class RawPair:
    """One pair as the snapshots give it, before the exchange adds market defaults."""

    key: str
    altname: str
    wsname: str
    symbol: str
    base: str
    quote: str
    pair_decimals: int
    cost_decimals: int
    lot_decimals: int
    ordermin: Decimal
    costmin: Decimal
    tick_size: Decimal
    status: str
    legacy: bool  # names from the 2021 AssetPairs capture (else derived by Kraken's rule)
    fees: tuple[tuple[int, Decimal], ...] | None  # own 2021 schedule (stablecoin/FX pairs)
    fees_maker: tuple[tuple[int, Decimal], ...] | None


def _dec(value: Any) -> Decimal:
    # Snapshot numbers are JSON floats: repr keeps what was written (1e-05 -> 0.00001).
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))


def _schedule(rows: list[list[Any]]) -> tuple[tuple[int, Decimal], ...]:
    return tuple((int(v), _dec(p)) for v, p in rows)


@functools.cache
def _legacy() -> dict[str, dict[str, Any]]:
    """The 2021 AssetPairs result (darkpool ``.d`` books left out: gone from today's list)."""
    body = json.loads(LEGACY_PAIRS.read_text())
    return {k: v for k, v in body["result"].items() if not k.endswith(".d")}


@functools.cache
def _instruments() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(INSTRUMENTS.read_text())["data"]
    return data


def _iso(altname: str) -> str:
    head, dot, suffix = altname.partition(".")
    return ISO.get(head, head) + dot + suffix


@functools.cache
def legacy_ids() -> dict[str, tuple[str, str]]:
    """WS v2 asset name -> (legacy asset id, altname), learned from the 2021 pairs' wsnames."""
    out: dict[str, tuple[str, str]] = {}
    for pair in _legacy().values():
        base_alt, _, quote_alt = str(pair.get("wsname", "")).partition("/")
        for asset_id, alt in ((pair["base"], base_alt), (pair["quote"], quote_alt)):
            if alt:
                out.setdefault(_iso(alt), (str(asset_id), alt))
    return out


def _alt_of(ws_name: str, ids: dict[str, tuple[str, str]]) -> tuple[str, str]:
    """(asset id, altname) of a WS v2 asset name; a new asset's id is its own name."""
    if ws_name in ids:
        return ids[ws_name]
    head, dot, suffix = ws_name.partition(".")
    alt = {v: k for k, v in ISO.items()}.get(head, head) + dot + suffix
    return alt, alt


@functools.cache
def raw_assets() -> dict[str, RawAsset]:
    """Every asset of the instrument snapshot, keyed by legacy id (``XXBT``, ``ZEUR``, ``DOT``)."""
    ids = legacy_ids()
    out: dict[str, RawAsset] = {}
    for a in _instruments()["assets"]:
        asset_id, alt = _alt_of(str(a["id"]), ids)
        out[asset_id] = RawAsset(
            asset_id, alt, str(a["id"]), int(a["precision"]), int(a["precision_display"]),
            _dec(a.get("collateral_value", 0)), _STATUS.get(a["status"], a["status"]),
        )  # fmt: skip
    return out


@functools.cache
def _legacy_by_symbol() -> dict[str, tuple[str, dict[str, Any]]]:
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for key, pair in _legacy().items():
        base, _, quote = str(pair.get("wsname", "")).partition("/")
        out.setdefault(f"{_iso(base)}/{_iso(quote)}", (key, pair))
    return out


def _names(symbol: str, base: str, quote: str) -> tuple[str, str, str, str, str, bool]:
    """(key, altname, wsname, base id, quote id, legacy) of a v2 symbol."""
    found = _legacy_by_symbol().get(symbol)
    if found is not None:
        key, pair = found
        return key, pair["altname"], pair["wsname"], pair["base"], pair["quote"], True
    ids = legacy_ids()
    (base_id, base_alt), (quote_id, quote_alt) = _alt_of(base, ids), _alt_of(quote, ids)
    alt = base_alt + quote_alt
    return alt, alt, f"{base_alt}/{quote_alt}", base_id, quote_id, False


def _own_fees(legacy: dict[str, Any] | None) -> tuple[Any, Any]:
    """A 2021 schedule that differs from the crypto default (stablecoin/FX pairs), else None."""
    if legacy is None or not legacy.get("fees") or legacy["fees"][0][1] == 0.26:
        return None, None
    return _schedule(legacy["fees"]), _schedule(legacy.get("fees_maker") or legacy["fees"])


@functools.cache
def raw_pairs() -> dict[str, RawPair]:
    """Every pair of the instrument snapshot, keyed by Kraken pair key."""
    out: dict[str, RawPair] = {}
    for p in _instruments()["pairs"]:
        symbol = str(p["symbol"])
        key, alt, wsname, base, quote, legacy = _names(symbol, str(p["base"]), str(p["quote"]))
        fees, makers = _own_fees(_legacy().get(key) if legacy else None)
        out[key] = RawPair(
            key, alt, wsname, symbol, base, quote, int(p["price_precision"]),
            int(p["cost_precision"]), int(p["qty_precision"]), _dec(p["qty_min"]),
            _dec(p["cost_min"]), _dec(p["price_increment"]), str(p["status"]), legacy,
            fees, makers,
        )  # fmt: skip
    return out


__all__ = ["ISO", "RawAsset", "RawPair", "legacy_ids", "raw_assets", "raw_pairs"]
