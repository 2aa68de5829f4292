"""Static catalogue of the paper exchange's assets and pairs, with Kraken's names and limits.

Values follow Kraken's AssetPairs (2025 fee schedule) and the WS v2 instrument snapshot
(~2024-04) copied in ``tests/fixtures/kraken``; see docs/paper_exchange.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from src.venues.kraken_paper.errors import UNKNOWN_ASSET, UNKNOWN_PAIR, KrakenError

# Kraken 2025 spot schedule: [30-day USD volume, percent] (kraken-api.md section 12).
TAKER_FEES: tuple[tuple[int, Decimal], ...] = tuple(
    (v, Decimal(p))
    for v, p in [
        (0, "0.40"), (10000, "0.35"), (50000, "0.24"), (100000, "0.22"), (250000, "0.20"),
        (500000, "0.18"), (1000000, "0.16"), (2500000, "0.14"), (5000000, "0.12"),
        (10000000, "0.10"),
    ]
)  # fmt: skip
MAKER_FEES: tuple[tuple[int, Decimal], ...] = tuple(
    (v, Decimal(p))
    for v, p in [
        (0, "0.25"), (10000, "0.20"), (50000, "0.14"), (100000, "0.12"), (250000, "0.10"),
        (500000, "0.08"), (1000000, "0.06"), (2500000, "0.04"), (5000000, "0.02"),
        (10000000, "0.00"),
    ]
)  # fmt: skip


@dataclass(frozen=True)
class AssetSpec:
    """One asset as Kraken's Assets endpoint describes it."""

    id: str  # Kraken asset id, e.g. XXBT
    altname: str  # e.g. XBT
    ws_name: str  # WS v2 id, e.g. BTC
    decimals: int
    display_decimals: int
    collateral_value: Decimal


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

    @property
    def cost_precision(self) -> int:
        """Decimals of costs and average prices: never fewer than a price's own."""
        return max(self.cost_decimals, self.pair_decimals)

    def fee_percent(self, volume_usd: Decimal, maker: bool) -> Decimal:
        """Fee percent for a 30-day USD volume on the 2025 tier schedule."""
        table = MAKER_FEES if maker else TAKER_FEES
        rate = table[0][1]
        for threshold, pct in table:
            if volume_usd >= threshold:
                rate = pct
        return rate

    def fee_object(self, volume_usd: Decimal, maker: bool) -> dict[str, str | None]:
        """TradeVolume's ``fees``/``fees_maker`` entry: the tier a 30-day volume is in.

        ``nextfee``/``nextvolume`` are null at the last tier (docs: get-trade-volume).
        """
        table = MAKER_FEES if maker else TAKER_FEES
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
            "fees": [[v, float(p)] for v, p in TAKER_FEES],
            "fees_maker": [[v, float(p)] for v, p in MAKER_FEES],
            "fee_volume_currency": "ZUSD",
            "margin_call": 80,
            "margin_stop": 40,
            "ordermin": str(self.ordermin),
            "costmin": str(self.costmin),
            "tick_size": str(self.tick_size),
            "status": "online",
        }


ASSETS: dict[str, AssetSpec] = {
    a.id: a
    for a in [
        AssetSpec("ZUSD", "USD", "USD", 4, 2, Decimal("1")),
        AssetSpec("XXBT", "XBT", "BTC", 10, 5, Decimal("1")),
        AssetSpec("XETH", "ETH", "ETH", 10, 5, Decimal("1")),
        AssetSpec("SOL", "SOL", "SOL", 10, 5, Decimal("0.9")),
        AssetSpec("XXRP", "XRP", "XRP", 8, 5, Decimal("0")),
        AssetSpec("XXDG", "XDG", "DOGE", 8, 2, Decimal("0")),
    ]
}


def _pair(
    key: str, alt: str, ws: str, sym: str, base: str, quote: str, dec: tuple[int, int, int],
    mins: tuple[str, str, str], start: str, typical: str,
) -> PairSpec:  # fmt: skip
    return PairSpec(
        key, alt, ws, sym, base, quote, dec[0], dec[1], dec[2],
        Decimal(mins[0]), Decimal(mins[1]), Decimal(mins[2]), Decimal(start), Decimal(typical),
    )  # fmt: skip


PAIRS: dict[str, PairSpec] = {
    p.key: p
    for p in [
        _pair("XXBTZUSD", "XBTUSD", "XBT/USD", "BTC/USD", "XXBT", "ZUSD", (1, 5, 8),
              ("0.00005", "0.5", "0.1"), "30000.0", "0.05"),
        _pair("XETHZUSD", "ETHUSD", "XETH/ZUSD", "ETH/USD", "XETH", "ZUSD", (2, 5, 8),
              ("0.002", "0.5", "0.01"), "2000.00", "0.5"),
        _pair("SOLUSD", "SOLUSD", "SOL/USD", "SOL/USD", "SOL", "ZUSD", (2, 5, 8),
              ("0.05", "0.5", "0.01"), "150.00", "5"),
        _pair("XXRPZUSD", "XRPUSD", "XRP/USD", "XRP/USD", "XXRP", "ZUSD", (5, 8, 8),
              ("10", "0.5", "0.00001"), "0.60000", "500"),
        _pair("XDGUSD", "XDGUSD", "XDG/USD", "DOGE/USD", "XXDG", "ZUSD", (7, 9, 8),
              ("50", "0.5", "0.0000001"), "0.1500000", "2000"),
        _pair("XETHXXBT", "ETHXBT", "ETH/XBT", "ETH/BTC", "XETH", "XXBT", (5, 10, 8),
              ("0.002", "0.00002", "0.00001"), "0.06500", "0.5"),
    ]
}  # fmt: skip

_ALIASES: dict[str, str] = {}
for _p in PAIRS.values():
    for _name in (_p.key, _p.altname, _p.wsname, _p.symbol):
        _ALIASES[_name.upper()] = _p.key
_ASSET_ALIASES: dict[str, str] = {}
for _a in ASSETS.values():
    for _name in (_a.id, _a.altname, _a.ws_name):
        _ASSET_ALIASES[_name.upper()] = _a.id


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
    """Find an asset by id (XXBT), altname (XBT) or v2 name (BTC)."""
    key = _ASSET_ALIASES.get(name.strip().upper())
    if key is None:
        raise KrakenError(UNKNOWN_ASSET)
    return ASSETS[key]


def asset_decimals(asset: str) -> int:
    """Ledger precision of an asset id (10 if unknown)."""
    spec = ASSETS.get(asset)
    return spec.decimals if spec else 10
