"""Symbol and asset-code resolution built from Kraken's AssetPairs reply (no hand-written pair map).

"BTC/USD", "XBT/USD", "XBTUSD" and "XXBTZUSD" all resolve to one instrument. Asset ids are
normalized: the legacy class prefix is dropped where AssetPairs shows it (XXBT -> XBT, ZUSD ->
USD), then Kraken's historical names are renamed to the ISO-style names WS v2 uses (XBT -> BTC,
XDG -> DOGE). Tickers that really start with X or Z (XRP as XXRP, XTZ, ZEC as XZEC) come out
right, and suffixed balance codes (.F/.S/.M/.B/.P/.T/.HOLD) keep their suffix.
https://docs.kraken.com/api/docs/rest-api/get-tradable-asset-pairs
"""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from src.core.decimals import to_decimal
from src.core.errors import MalformedResponseError, UnknownSymbolError
from src.core.instruments import Instrument, InstrumentStatus

# Kraken's pre-ISO names; WS v2 and every other venue use the right-hand names.
ISO_NAMES = {"XBT": "BTC", "XDG": "DOGE"}
_NOT_PREFIXED = frozenset({"ZEUS"})  # 4-char ids that start with X/Z but carry no class prefix


@dataclass(frozen=True)
class PairInfo:
    """One pair's three Kraken names and the normalized instrument."""

    key: str
    altname: str
    wsname: str | None
    instrument: Instrument
    cost_decimals: int | None = None
    """AssetPairs ``cost_decimals``: precision of costs and fees in the quote asset."""


def _strip_prefix_guess(asset_id: str) -> str:
    # Legacy ids are a class letter plus a 3-letter code (XXBT, ZUSD, XZEC).
    if len(asset_id) == 4 and asset_id[0] in "XZ" and asset_id not in _NOT_PREFIXED:
        return asset_id[1:]
    return asset_id


def _split_alt(pair: Mapping[str, Any]) -> tuple[str, str] | None:
    base, quote, alt = str(pair.get("base", "")), str(pair.get("quote", "")), pair.get("altname")
    if not isinstance(alt, str):
        return None
    for b in dict.fromkeys((base, _strip_prefix_guess(base))):
        for q in dict.fromkeys((quote, _strip_prefix_guess(quote))):
            if b + q == alt:
                return b, q
    return None


class AssetCodes:
    """Asset id -> normalized code ("XXBT" -> "BTC"), learned from AssetPairs altnames."""

    def __init__(self, id_to_alt: Mapping[str, str] | None = None) -> None:
        self._alt = dict(id_to_alt or {})

    @classmethod
    def from_asset_pairs(cls, pairs: Mapping[str, Mapping[str, Any]]) -> AssetCodes:
        """Learn each asset id's altname from pairs whose altname is base alt + quote alt."""
        id_to_alt: dict[str, str] = {}
        for pair in pairs.values():
            split = _split_alt(pair)
            if split is not None:
                id_to_alt.setdefault(str(pair["base"]), split[0])
                id_to_alt.setdefault(str(pair["quote"]), split[1])
        return cls(id_to_alt)

    def altname(self, asset_id: str) -> str:
        """Kraken's altname of an asset id ("XXBT" -> "XBT"); unknown ids are returned as given."""
        return self._alt.get(asset_id, asset_id)

    def normalize(self, code: str) -> str:
        """Normalized code of an asset id or balance code ("XXBT" -> "BTC", "XBT.M" -> "BTC.M")."""
        head, dot, suffix = code.partition(".")
        alt = self._alt.get(head)
        if alt is None:
            alt = head if head in self._alt.values() else _strip_prefix_guess(head)
        name = ISO_NAMES.get(alt, alt)
        return f"{name}{dot}{suffix}"


def _instrument(key: str, pair: Mapping[str, Any], codes: AssetCodes) -> Instrument:
    base, quote = codes.normalize(str(pair["base"])), codes.normalize(str(pair["quote"]))
    tick = pair.get("tick_size") or Decimal(1).scaleb(-int(pair["pair_decimals"]))
    try:
        status = InstrumentStatus(str(pair.get("status", "online")))
    except ValueError:
        status = InstrumentStatus.UNKNOWN
    return Instrument(
        symbol=f"{base}/{quote}",
        base=base,
        quote=quote,
        price_tick=to_decimal(tick),
        lot_step=Decimal(1).scaleb(-int(pair["lot_decimals"])),
        min_quantity=to_decimal(pair.get("ordermin") or 0),
        min_cost=to_decimal(pair.get("costmin") or 0),
        status=status,
        venue_symbol=key,
    )


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _names(info: PairInfo, codes: AssetCodes, pair: Mapping[str, Any]) -> Iterable[str]:
    yield info.key
    yield info.altname
    yield info.instrument.symbol
    if info.wsname:
        yield info.wsname
    split = _split_alt(pair)
    if split is not None:
        yield f"{split[0]}/{split[1]}"
    base, quote = info.instrument.base, info.instrument.quote
    yield f"{base}{quote}"


class SymbolMap:
    """Every name of every pair -> PairInfo; lookups are case-insensitive."""

    def __init__(self, pairs: Mapping[str, Mapping[str, Any]]) -> None:
        if not isinstance(pairs, Mapping):
            raise MalformedResponseError(
                "AssetPairs result is not an object", endpoint="AssetPairs"
            )
        self.codes = AssetCodes.from_asset_pairs(pairs)
        self._by_name: dict[str, PairInfo] = {}
        self._pairs: dict[str, PairInfo] = {}
        for key, pair in pairs.items():
            if key.endswith(".d"):  # darkpool books: not addressable by the normalized symbol
                continue
            try:
                info = PairInfo(
                    key=key,
                    altname=str(pair.get("altname", key)),
                    wsname=pair.get("wsname"),
                    instrument=_instrument(key, pair, self.codes),
                    cost_decimals=_int_or_none(pair.get("cost_decimals")),
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise MalformedResponseError(
                    f"AssetPairs entry {key!r} lacks a needed field: {exc}", endpoint="AssetPairs"
                ) from None
            self._pairs[key] = info
            for name in _names(info, self.codes, pair):
                self._by_name.setdefault(name.upper(), info)

    def __len__(self) -> int:
        return len(self._pairs)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.strip().upper() in self._by_name

    def pairs(self) -> list[PairInfo]:
        """All pairs, in AssetPairs order."""
        return list(self._pairs.values())

    def resolve(self, name: str) -> PairInfo:
        """The pair a name refers to.

        Raises:
            UnknownSymbolError: no pair has that name; the error names close matches.
        """
        found = self._by_name.get(name.strip().upper())
        if found is None:
            close = difflib.get_close_matches(name.strip().upper(), self._by_name, n=3, cutoff=0.6)
            suggestions = list(dict.fromkeys(self._by_name[c].instrument.symbol for c in close))
            raise UnknownSymbolError(name, suggestions=suggestions)
        return found

    def instrument(self, name: str) -> Instrument:
        """The normalized instrument for any name of a pair."""
        return self.resolve(name).instrument

    def symbol_of(self, name: str) -> str:
        """Normalized "BASE/QUOTE" for a pair name, or the name itself when unknown."""
        found = self._by_name.get(name.strip().upper())
        return found.instrument.symbol if found else name


class SymbolLoader(Protocol):
    """``KrakenAdapter.load_symbols``: the cached pair map, or a fresh one with ``refresh``."""

    def __call__(self, *, refresh: bool = False) -> Awaitable[SymbolMap]:
        """Return the pair map (reloading AssetPairs when ``refresh``)."""
        ...


async def resolve_refreshing(load: SymbolLoader, name: str) -> PairInfo:
    """The pair ``name`` refers to, reloading AssetPairs once on a miss (a new listing).

    Raises:
        UnknownSymbolError: still unknown after the reload; the error names close matches.
    """
    try:
        return (await load()).resolve(name)
    except UnknownSymbolError:
        return (await load(refresh=True)).resolve(name)
