"""Kraken Futures instruments (``GET /instruments``) as ``DerivativeInstrument``s; the symbol map.

Symbols are Kraken's own (``PF_XBTUSD``, ``PI_XBTUSD``, ``FI_XBTUSD_220930``, ``FF_ETHUSD_...``),
upper-case; lookups ignore case because Kraken itself answers in lower case in places
(``pi_xbtusd`` in order events). Assets use the project's codes: ``XBT`` is ``BTC``.
https://docs.kraken.com/api/docs/futures-api/trading/get-instruments
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

from src.brokers.kraken_futures.timefmt import parse_time
from src.core.decimals import to_decimal
from src.core.derivatives import (
    ContractType,
    DerivativeInstrument,
    MarginTier,
    Settlement,
    TierBasis,
)
from src.core.errors import MalformedResponseError, UnknownSymbolError
from src.core.instruments import InstrumentStatus

__all__ = ["ASSET_ALIASES", "InstrumentMap", "normalize_asset", "parse_instrument"]

#: Kraken Futures' asset codes that differ from the project's.
ASSET_ALIASES: Mapping[str, str] = {"XBT": "BTC"}
#: Kraken Futures perpetuals roll every hour (support 4844359082772, 360022835911).
FUNDING_INTERVAL = timedelta(hours=1)
_PERPETUAL_PREFIXES = ("PF_", "PI_")
_FIXED_PREFIXES = ("FF_", "FI_")


def normalize_asset(code: str) -> str:
    """``xbt`` -> ``BTC``; other codes upper-cased."""
    upper = code.strip().upper()
    return ASSET_ALIASES.get(upper, upper)


def _split_symbol(symbol: str) -> tuple[str, str]:
    body = symbol.split("_")[1] if "_" in symbol else symbol
    for quote in ("USDT", "USDC", "USD", "EUR", "GBP", "XBT"):
        if body.endswith(quote) and len(body) > len(quote):
            return body[: -len(quote)], quote
    return body, "USD"


def _tiers(levels: Any) -> tuple[tuple[MarginTier, ...], TierBasis]:
    if not isinstance(levels, list) or not levels:
        return (), TierBasis.NOTIONAL
    basis = TierBasis.CONTRACTS if "contracts" in levels[0] else TierBasis.NOTIONAL
    key = "contracts" if basis is TierBasis.CONTRACTS else "numNonContractUnits"
    tiers = tuple(
        MarginTier(
            floor=level.get(key, 0),
            initial_rate=level["initialMargin"],
            maintenance_rate=level["maintenanceMargin"],
        )
        for level in levels
    )
    return tuple(sorted(tiers, key=lambda t: t.floor)), basis


def _lot_step(precision: Any) -> Decimal:
    # contractValueTradePrecision: decimals of the order size; negative means tens, hundreds.
    places = int(precision) if precision is not None else 0
    return Decimal(1).scaleb(-places)


def _status(raw: Mapping[str, Any]) -> InstrumentStatus:
    if not raw.get("tradeable", True):
        return InstrumentStatus.CANCEL_ONLY
    return InstrumentStatus.POST_ONLY if raw.get("postOnly") else InstrumentStatus.ONLINE


def parse_instrument(raw: Mapping[str, Any]) -> DerivativeInstrument | None:
    """One ``instruments[]`` row as an instrument; None for rows that are not futures.

    Options (``OF_``), indices and legacy vanilla contracts are left out.

    Raises:
        MalformedResponseError: a futures row lacks ``tickSize`` or has a bad number.
    """
    symbol = str(raw.get("symbol", "")).upper()
    if not symbol.startswith(_PERPETUAL_PREFIXES + _FIXED_PREFIXES):
        return None
    try:
        return _build(symbol, raw)
    except (KeyError, ValueError, TypeError) as exc:
        raise MalformedResponseError(
            f"instrument {symbol}: {exc}", endpoint="instruments"
        ) from None


def _build(symbol: str, raw: Mapping[str, Any]) -> DerivativeInstrument:
    inverse = raw.get("type") == "futures_inverse" or symbol.startswith(("PI_", "FI_"))
    settlement = Settlement.INVERSE if inverse else Settlement.LINEAR
    parsed_base, parsed_quote = _split_symbol(symbol)
    base = normalize_asset(str(raw.get("base") or parsed_base))
    quote = normalize_asset(str(raw.get("quote") or parsed_quote))
    perpetual = symbol.startswith(_PERPETUAL_PREFIXES)
    tiers, basis = _tiers(raw.get("marginLevels"))
    lot = _lot_step(raw.get("contractValueTradePrecision"))
    expiry = raw.get("lastTradingTime")
    max_rate = raw.get("maxRelativeFundingRate")
    max_position = raw.get("maxPositionSize")
    return DerivativeInstrument(
        symbol=symbol,
        base=base,
        quote=quote,
        price_tick=to_decimal(raw["tickSize"], field="tickSize"),
        lot_step=lot,
        min_quantity=lot,
        status=_status(raw),
        venue_symbol=symbol,
        contract_type=ContractType.PERPETUAL if perpetual else ContractType.FIXED_MATURITY,
        settlement=settlement,
        contract_size=to_decimal(raw.get("contractSize", 1), field="contractSize"),
        settlement_currency=base if inverse else quote,
        margin_tiers=tiers,
        tier_basis=basis,
        max_position=None if max_position is None else to_decimal(max_position),
        funding_interval=FUNDING_INTERVAL if perpetual else None,
        max_funding_rate=None if max_rate is None else to_decimal(max_rate),
        expiry=parse_time(str(expiry)) if expiry else None,
        underlying=raw.get("underlying"),
    )


class InstrumentMap:
    """Instruments by symbol, looked up case-insensitively."""

    def __init__(self, instruments: Iterable[DerivativeInstrument]) -> None:
        self._by_symbol = {i.symbol: i for i in instruments}

    @classmethod
    def from_reply(cls, rows: Iterable[Mapping[str, Any]]) -> InstrumentMap:
        """Build from ``instruments[]`` rows (non-futures rows skipped)."""
        return cls(i for i in (parse_instrument(r) for r in rows) if i is not None)

    def __contains__(self, symbol: object) -> bool:
        return isinstance(symbol, str) and symbol.strip().upper() in self._by_symbol

    def __len__(self) -> int:
        return len(self._by_symbol)

    @property
    def symbols(self) -> list[str]:
        """Every symbol, sorted."""
        return sorted(self._by_symbol)

    def get(self, symbol: str) -> DerivativeInstrument:
        """The instrument for ``symbol``.

        Raises:
            UnknownSymbolError: no such futures symbol (with close matches as suggestions).
        """
        key = symbol.strip().upper()
        found = self._by_symbol.get(key)
        if found is None:
            close = difflib.get_close_matches(key, list(self._by_symbol), n=3)
            raise UnknownSymbolError(symbol, suggestions=close)
        return found
