"""Public REST endpoints (Time, Assets, AssetPairs, Ticker, Depth, OHLC, Trades, Spread)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from src.venues.kraken_paper.errors import invalid_arguments
from src.venues.kraken_paper.market import Candle, PairMarket
from src.venues.kraken_paper.orders import fmt
from src.venues.kraken_paper.pairs import ASSETS, PAIRS, PairSpec, resolve_asset, resolve_pair
from src.venues.kraken_paper.validation import parse_decimal, parse_int

INTERVALS = (1, 5, 15, 30, 60, 240, 1440, 10080, 21600)


def _pairs(params: dict[str, Any], required: bool) -> list[tuple[str, PairSpec]]:
    """Requested pairs with the key to answer under (slash forms are echoed)."""
    raw = params.get("pair")
    if not raw:
        if required:
            raise invalid_arguments("pair")
        return [(k, p) for k, p in PAIRS.items()]
    out = []
    for name in str(raw).split(","):
        spec = resolve_pair(name)
        out.append((name.strip() if "/" in name else spec.key, spec))
    return out


def _pd(spec: PairSpec) -> int:
    return max(spec.pair_decimals, 5)


def time_(now: float) -> dict[str, Any]:
    """Time."""
    dt = datetime.fromtimestamp(now, UTC)
    return {"unixtime": int(now), "rfc1123": dt.strftime("%a, %d %b %y %H:%M:%S +0000")}


def system_status(status: str, now: float) -> dict[str, Any]:
    """SystemStatus."""
    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"status": status, "timestamp": stamp}


def assets(params: dict[str, Any]) -> dict[str, Any]:
    """Assets (optionally filtered by ``asset``)."""
    specs = (
        [resolve_asset(a) for a in str(params["asset"]).split(",")]
        if params.get("asset") else list(ASSETS.values())
    )  # fmt: skip
    return {
        a.id: {
            "aclass": "currency", "altname": a.altname, "decimals": a.decimals,
            "display_decimals": a.display_decimals,
            "collateral_value": float(a.collateral_value), "status": "enabled",
        }
        for a in specs
    }  # fmt: skip


def asset_pairs(params: dict[str, Any]) -> dict[str, Any]:
    """AssetPairs with ``info`` = info | leverage | fees | margin."""
    info = str(params.get("info") or "info")
    subsets = {
        "leverage": ("leverage_buy", "leverage_sell"),
        "fees": ("fees", "fees_maker", "fee_volume_currency"),
        "margin": ("margin_call", "margin_stop"),
    }
    if info != "info" and info not in subsets:
        raise invalid_arguments("info")
    out = {}
    for key, spec in _pairs(params, required=False):
        entry = spec.asset_pairs_entry()
        out[key] = entry if info == "info" else {k: entry[k] for k in subsets[info]}
    return out


def ticker(markets: dict[str, PairMarket], params: dict[str, Any], now: float) -> dict[str, Any]:
    """Ticker per pair (24 h and today's statistics from the exchange's own tape)."""
    out = {}
    for key, spec in _pairs(params, required=False):
        m = markets[spec.key]
        s = m.stats(now)
        pd, ld = _pd(spec), spec.lot_decimals
        bids, asks = m.book()
        bid = bids[0] if bids else (m.last, Decimal(0))
        ask = asks[0] if asks else (m.last, Decimal(0))
        last_qty = m.tape[-1].qty if m.tape else Decimal(0)

        def pair_of(tag: str, d: int, s: dict[str, Decimal | int] = s) -> list[str]:
            return [fmt(Decimal(s[f"{tag}_today"]), d), fmt(Decimal(s[f"{tag}_day"]), d)]

        out[key] = {
            "a": [fmt(ask[0], pd), str(int(ask[1]) or 1), fmt(ask[1], 3)],
            "b": [fmt(bid[0], pd), str(int(bid[1]) or 1), fmt(bid[1], 3)],
            "c": [fmt(m.last, pd), fmt(last_qty, ld)],
            "v": pair_of("v", ld), "p": pair_of("p", pd),
            "t": [int(s["t_today"]), int(s["t_day"])],
            "l": pair_of("l", pd), "h": pair_of("h", pd),
            "o": fmt(Decimal(s["open_today"]), pd),
        }  # fmt: skip
    return out


def depth(markets: dict[str, PairMarket], params: dict[str, Any]) -> dict[str, Any]:
    """Depth: ``count`` levels (1-500, default 100) per side."""
    (key, spec), *_ = _pairs(params, required=True)
    count = parse_int(params.get("count") or 100, "count", 1, 500)
    m = markets[spec.key]
    ts = int(m.book_time)
    pd, ld = _pd(spec), spec.lot_decimals
    bids, asks = m.book()  # resting orders included
    return {
        key: {
            "asks": [[fmt(p, pd), fmt(q, ld), ts] for p, q in asks[:count]],
            "bids": [[fmt(p, pd), fmt(q, ld), ts] for p, q in bids[:count]],
        }
    }


def _aggregate(candles: list[Candle], interval: int) -> list[Candle]:
    if interval == 1:
        return candles
    out: list[Candle] = []
    for c in candles:
        begin = c.begin // (interval * 60) * interval * 60
        if out and out[-1].begin == begin:
            agg = out[-1]
            agg.high, agg.low, agg.close = max(agg.high, c.high), min(agg.low, c.low), c.close
            agg.value += c.value
            agg.volume += c.volume
            agg.count += c.count
        else:
            out.append(Candle(begin, c.open, c.high, c.low, c.close, c.value, c.volume, c.count))
    return out


def ohlc(markets: dict[str, PairMarket], params: dict[str, Any]) -> dict[str, Any]:
    """OHLC: up to 720 committed rows after ``since`` plus the forming one, and ``last``."""
    (key, spec), *_ = _pairs(params, required=True)
    interval = parse_int(params.get("interval") or 1, "interval")
    if interval not in INTERVALS:
        raise invalid_arguments("interval")
    since = parse_int(params["since"], "since", 0, 2**63) if params.get("since") else None
    rows = _aggregate(list(markets[spec.key].candles), interval)[-721:]
    last = rows[-2].begin if len(rows) > 1 else (rows[0].begin if rows else 0)
    if since is not None:
        rows = [c for c in rows if c.begin > since] or rows[-1:]
    pd = spec.pair_decimals
    return {
        key: [
            [c.begin, fmt(c.open, pd), fmt(c.high, pd), fmt(c.low, pd), fmt(c.close, pd),
             fmt(c.vwap if c.volume else Decimal(0), pd), fmt(c.volume, 8), c.count]
            for c in rows
        ],
        "last": last,
    }  # fmt: skip


def trades(markets: dict[str, PairMarket], params: dict[str, Any]) -> dict[str, Any]:
    """Trades after ``since`` (seconds or nanoseconds), at most ``count`` (default 1000)."""
    (key, spec), *_ = _pairs(params, required=True)
    count = parse_int(params.get("count") or 1000, "count", 1, 1000)
    tape = list(markets[spec.key].tape)
    since_ns = 0
    if params.get("since") not in (None, ""):
        # Kraken's ``last`` is nanoseconds; ccxt sends seconds. Large values are nanoseconds.
        since = parse_decimal(params["since"], "since")
        since_ns = int(since if since > 10**12 else since * 10**9)
        tape = [t for t in tape if int(Decimal(repr(t.time)) * 10**9) > since_ns]
    tape = tape[:count]
    pd, ld = _pd(spec), spec.lot_decimals
    last_ns = int(Decimal(repr(tape[-1].time)) * 10**9) if tape else since_ns
    return {
        key: [[fmt(t.price, pd), fmt(t.qty, ld), t.time, t.side, t.ordertype, "", t.trade_id]
              for t in tape],
        "last": str(last_ns),
    }  # fmt: skip


def spread(markets: dict[str, PairMarket], params: dict[str, Any]) -> dict[str, Any]:
    """Spread: recent top-of-book snapshots after ``since``."""
    (key, spec), *_ = _pairs(params, required=True)
    rows = list(markets[spec.key].spreads)
    if params.get("since") not in (None, ""):
        since = parse_int(params["since"], "since", 0, 2**63)
        rows = [r for r in rows if r[0] > since]
    pd = _pd(spec)
    last = rows[-1][0] if rows else 0
    return {key: [[t, fmt(b, pd), fmt(a, pd)] for t, b, a in rows], "last": last}
