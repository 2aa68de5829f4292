"""The paper exchange's catalogue: every Kraken spot asset and pair, with names and limits.

Built from the snapshots in ``data/kraken-universe/`` (``universe.py``): 683 pairs (fiat
EUR/GBP/CAD/..., crypto-to-crypto, stablecoins) and 296 assets (``.S``, ``.M``, ``.P``,
``.HOLD`` included; ``.F``/``.B``/``.T`` balance codes resolve from their base asset). Fees
follow Kraken's 2025 schedule, except the stablecoin and FX pairs, which keep their own
(2021 capture). ``start_price`` and ``typical_trade`` drive the synthetic market: the six
original pairs keep theirs, the others derive them from reference prices (see ``ref_usd``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from src.venues.kraken_paper.errors import UNKNOWN_ASSET, UNKNOWN_PAIR, KrakenError
from src.venues.kraken_paper.universe import RawPair, raw_assets, raw_pairs

Schedule = tuple[tuple[int, Decimal], ...]


def _table(rows: list[tuple[int, str]]) -> Schedule:
    return tuple((v, Decimal(p)) for v, p in rows)


# Kraken 2025 spot schedule: [30-day USD volume, percent] (kraken-api.md section 12).
TAKER_FEES: Schedule = _table([
    (0, "0.40"), (10000, "0.35"), (50000, "0.24"), (100000, "0.22"), (250000, "0.20"),
    (500000, "0.18"), (1000000, "0.16"), (2500000, "0.14"), (5000000, "0.12"), (10000000, "0.10"),
])  # fmt: skip
MAKER_FEES: Schedule = _table([
    (0, "0.25"), (10000, "0.20"), (50000, "0.14"), (100000, "0.12"), (250000, "0.10"),
    (500000, "0.08"), (1000000, "0.06"), (2500000, "0.04"), (5000000, "0.02"), (10000000, "0.00"),
])  # fmt: skip
#: The pairs the exchange has always served, in their historic order (seeds depend on it),
#: with the minimums, reference prices and trade sizes they always had.
ORIGINAL: dict[str, tuple[str, str, str]] = {
    "XXBTZUSD": ("0.00005", "30000.0", "0.05"),
    "XETHZUSD": ("0.002", "2000.00", "0.5"),
    "SOLUSD": ("0.05", "150.00", "5"),
    "XXRPZUSD": ("10", "0.60000", "500"),
    "XDGUSD": ("50", "0.1500000", "2000"),
    "XETHXXBT": ("0.002", "0.06500", "0.5"),
}
#: Rough USD value of an asset (WS v2 name) for synthetic prices (~2024 levels; the majors at
#: the levels the original six start from, so crosses agree with them).
REF_USD: dict[str, Decimal] = {k: Decimal(v) for k, v in {
    "USD": "1", "EUR": "1.08", "GBP": "1.27", "CAD": "0.73", "CHF": "1.10", "JPY": "0.0066",
    "AUD": "0.66", "AED": "0.27", "USDT": "1", "USDC": "1", "DAI": "1", "PYUSD": "1",
    "BTC": "30000", "ETH": "2000", "SOL": "150", "XRP": "0.6", "DOGE": "0.15", "DOT": "7",
}.items()}  # fmt: skip
_SUFFIXES = (".F", ".B", ".T")  # balance codes Kraken derives from a base asset


def plain(value: Decimal) -> str:
    """A decimal as Kraken writes it: fixed-point, never ``1E-7``."""
    return format(value, "f")


@dataclass(frozen=True)
class AssetSpec:
    """One asset as Kraken's Assets endpoint describes it."""

    id: str  # Kraken asset id, e.g. XXBT
    altname: str  # e.g. XBT
    ws_name: str  # WS v2 id, e.g. BTC
    decimals: int
    display_decimals: int
    collateral_value: Decimal
    status: str = "enabled"


@dataclass(frozen=True)
class PairSpec:
    """One spot pair with Kraken's three names, precision and minimums."""

    key: str  # XXBTZUSD
    altname: str  # XBTUSD
    wsname: str  # XBT/USD (WS v1)
    symbol: str  # BTC/USD (WS v2)
    base: str
    quote: str
    pair_decimals: int
    cost_decimals: int
    lot_decimals: int
    ordermin: Decimal
    costmin: Decimal
    tick_size: Decimal
    start_price: Decimal  # synthetic/default reference price
    typical_trade: Decimal  # typical public trade size in base units
    status: str = "online"
    fees: Schedule = TAKER_FEES
    fees_maker: Schedule = MAKER_FEES

    @property
    def cost_precision(self) -> int:
        """Decimals of costs and average prices: never fewer than a price's own."""
        return max(self.cost_decimals, self.pair_decimals)

    def fee_percent(self, volume_usd: Decimal, maker: bool) -> Decimal:
        """Fee percent for a 30-day USD volume on the pair's tier schedule."""
        table = self.fees_maker if maker else self.fees
        rate = table[0][1]
        for threshold, pct in table:
            if volume_usd >= threshold:
                rate = pct
        return rate

    def fee_object(self, volume_usd: Decimal, maker: bool) -> dict[str, str | None]:
        """TradeVolume's ``fees``/``fees_maker`` entry: the tier a 30-day volume is in.

        ``nextfee``/``nextvolume`` are null at the last tier (docs: get-trade-volume).
        """
        table = self.fees_maker if maker else self.fees
        tier = max((i for i, (v, _) in enumerate(table) if volume_usd >= v), default=0)
        nxt = table[tier + 1] if tier + 1 < len(table) else None
        rates = [p for _, p in table]

        def pct(p: Decimal) -> str:
            return f"{p:.4f}"

        return {
            "fee": pct(table[tier][1]),
            "minfee": pct(min(rates)),
            "maxfee": pct(max(rates)),
            "nextfee": pct(nxt[1]) if nxt else None,
            "nextvolume": f"{nxt[0]:.4f}" if nxt else None,
            "tiervolume": f"{table[tier][0]:.4f}",
        }

    def asset_pairs_entry(self) -> dict[str, Any]:
        """The AssetPairs ``info`` object, with Kraken's real field set."""
        return {
            "altname": self.altname,
            "wsname": self.wsname,
            "aclass_base": "currency",
            "base": self.base,
            "aclass_quote": "currency",
            "quote": self.quote,
            "lot": "unit",
            "cost_decimals": self.cost_decimals,
            "pair_decimals": self.pair_decimals,
            "lot_decimals": self.lot_decimals,
            "lot_multiplier": 1,
            "leverage_buy": [],
            "leverage_sell": [],
            "fees": [[v, float(p)] for v, p in self.fees],
            "fees_maker": [[v, float(p)] for v, p in self.fees_maker],
            "fee_volume_currency": "ZUSD",
            "margin_call": 80,
            "margin_stop": 40,
            "ordermin": plain(self.ordermin),
            "costmin": plain(self.costmin),
            "tick_size": plain(self.tick_size),
            "status": self.status,
        }


ASSETS: dict[str, AssetSpec] = {
    a.id: AssetSpec(
        a.id, a.altname, a.ws_name, a.decimals, a.display_decimals, a.collateral_value, a.status
    )
    for a in raw_assets().values()
}


def _ws(asset_id: str) -> str:
    spec = ASSETS.get(asset_id)
    return spec.ws_name if spec else asset_id


def ref_usd(raw: dict[str, RawPair]) -> dict[str, Decimal]:
    """A rough USD value per WS v2 asset name: ``REF_USD``, else about 5 USD per ``ordermin``.

    Kraken sizes ``ordermin`` at a few dollars' worth of the base, so an unknown asset's price
    is read off its USD (or EUR) pair's minimum; that is a guess, and those markets say so
    (synthetic).
    """
    out = dict(REF_USD)
    for quote in ("ZUSD", "ZEUR", "USDT"):
        for p in raw.values():
            name = _ws(p.base)
            if p.quote == quote and name not in out and p.ordermin > 0:
                out[name] = Decimal(5) / p.ordermin * REF_USD[_ws(quote)]
    return out


def _on_grid(value: Decimal, step: Decimal) -> Decimal:
    return max((value / step).to_integral_value(ROUND_HALF_UP), Decimal(1)) * step


def _spec(p: RawPair, refs: dict[str, Decimal]) -> PairSpec:
    lot = Decimal(1).scaleb(-p.lot_decimals)
    if p.key in ORIGINAL:
        ordermin, start, typical = (Decimal(v) for v in ORIGINAL[p.key])
    else:
        ordermin = p.ordermin
        base, quote = refs.get(_ws(p.base), Decimal(1)), refs.get(_ws(p.quote), Decimal(1))
        start = _on_grid(base / quote, p.tick_size)
        typical = _on_grid(max(p.ordermin, lot) * 10, lot)
    return PairSpec(
        p.key, p.altname, p.wsname, p.symbol, p.base, p.quote, p.pair_decimals,
        p.cost_decimals, p.lot_decimals, ordermin, p.costmin, p.tick_size, start, typical,
        p.status, p.fees or TAKER_FEES, p.fees_maker or MAKER_FEES,
    )  # fmt: skip


def _catalogue() -> dict[str, PairSpec]:
    raw = raw_pairs()
    refs = ref_usd(raw)
    ordered = [k for k in ORIGINAL if k in raw] + [k for k in raw if k not in ORIGINAL]
    return {k: _spec(raw[k], refs) for k in ordered}


PAIRS: dict[str, PairSpec] = _catalogue()

#: The USD pair of each asset that has one (USD valuations: fee tiers, TradeBalance).
USD_PAIRS: dict[str, PairSpec] = {p.base: p for p in PAIRS.values() if p.quote == "ZUSD"}
_ALIASES: dict[str, str] = {}
for _p in PAIRS.values():
    for _name in (_p.key, _p.altname, _p.wsname, _p.symbol):
        _ALIASES.setdefault(_name.upper(), _p.key)
_ASSET_ALIASES: dict[str, str] = {}
for _a in ASSETS.values():
    for _name in (_a.id, _a.altname, _a.ws_name):
        _ASSET_ALIASES.setdefault(_name.upper(), _a.id)


def resolve_pair(name: str) -> PairSpec:
    """Find a pair by key (XXBTZUSD), altname (XBTUSD), v1 wsname (XBT/USD) or v2 symbol (BTC/USD).

    Raises:
        KrakenError: ``EQuery:Unknown asset pair``.
    """
    key = _ALIASES.get(name.strip().upper())
    if key is None:
        raise KrakenError(UNKNOWN_PAIR)
    return PAIRS[key]


def resolve_asset(name: str) -> AssetSpec:
    """Find an asset by id (XXBT), altname (XBT) or v2 name (BTC).

    A ``.F``/``.B``/``.T`` code (``USDT.F``: earning in Kraken Rewards) is its base asset's
    read-only balance, named ``<altname><suffix>`` as Kraken names such balances.

    Raises:
        KrakenError: ``EQuery:Unknown asset``.
    """
    text = name.strip().upper()
    key = _ASSET_ALIASES.get(text)
    if key is not None:
        return ASSETS[key]
    head, dot, suffix = text.rpartition(".")
    if dot and f".{suffix}" in _SUFFIXES and head.upper() in _ASSET_ALIASES:
        base = ASSETS[_ASSET_ALIASES[head.upper()]]
        code = f"{base.altname}.{suffix}"
        return AssetSpec(code, code, f"{base.ws_name}.{suffix}", base.decimals,
                         base.display_decimals, Decimal(0))  # fmt: skip
    raise KrakenError(UNKNOWN_ASSET)


def asset_decimals(asset: str) -> int:
    """Ledger precision of an asset id (its base asset's for ``.F`` codes; 10 if unknown)."""
    spec = ASSETS.get(asset)
    if spec is None:
        try:
            spec = resolve_asset(asset)
        except KrakenError:
            return 10
    return spec.decimals


__all__ = [
    "ASSETS", "MAKER_FEES", "ORIGINAL", "PAIRS", "TAKER_FEES", "USD_PAIRS", "AssetSpec", "PairSpec",
    "asset_decimals", "plain", "resolve_asset", "resolve_pair",
]  # fmt: skip
