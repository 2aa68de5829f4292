"""Public WS v2 channel payloads of the paper exchange (ticker, book, trade, ohlc, instrument)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from src.venues.kraken_paper.events import PublicTradeEvent, TickerEvent
from src.venues.kraken_paper.market import Candle
from src.venues.kraken_paper.pairs import ASSETS, PAIRS, PairSpec
from src.venues.kraken_paper.ws_wire import rfc3339

__all__ = [
    "BOOK_DEPTHS",
    "OHLC_INTERVALS",
    "aggregate_candles",
    "candle_data",
    "instrument_data",
    "pair_for_symbol",
    "ticker_data",
    "trade_data",
]

BOOK_DEPTHS = (10, 25, 100, 500, 1000)
OHLC_INTERVALS = (1, 5, 15, 30, 60, 240, 1440, 10080, 21600)
_BY_SYMBOL = {p.symbol: p for p in PAIRS.values()}


def pair_for_symbol(symbol: Any) -> PairSpec | None:
    """The pair a WS v2 symbol names (exact v2 spelling only, as Kraken: ``BTC/USD``)."""
    return _BY_SYMBOL.get(symbol) if isinstance(symbol, str) else None


def _price(value: Decimal, spec: PairSpec | None) -> Decimal:
    # Kraken writes prices with the pair's precision; statistics computed here are not.
    if spec is None:
        return value
    return value.quantize(Decimal(1).scaleb(-spec.pair_decimals))


def ticker_data(event: TickerEvent) -> dict[str, Any]:
    """One ``ticker`` data object."""
    spec = pair_for_symbol(event.symbol)
    return {
        "symbol": event.symbol,
        "bid": _price(event.bid, spec),
        "bid_qty": event.bid_qty,
        "ask": _price(event.ask, spec),
        "ask_qty": event.ask_qty,
        "last": _price(event.last, spec),
        "volume": event.volume,
        "vwap": _price(event.vwap, spec),
        "low": _price(event.low, spec),
        "high": _price(event.high, spec),
        "change": event.change,
        "change_pct": event.change_pct,
        "timestamp": rfc3339(event.timestamp),
    }


def trade_data(event: PublicTradeEvent) -> dict[str, Any]:
    """One ``trade`` data object."""
    return {
        "symbol": event.symbol,
        "side": event.side,
        "price": event.price,
        "qty": event.qty,
        "ord_type": event.ord_type,
        "trade_id": event.trade_id,
        "timestamp": rfc3339(event.timestamp),
    }


def candle_data(
    symbol: str,
    interval: int,
    begin: float,
    ohlc: tuple[Decimal, Decimal, Decimal, Decimal],
    vwap: Decimal,
    volume: Decimal,
    trades: int,
) -> dict[str, Any]:
    """One ``ohlc`` data object (``timestamp`` is the interval's end, as Kraken sends it)."""
    return {
        "symbol": symbol,
        "open": ohlc[0],
        "high": ohlc[1],
        "low": ohlc[2],
        "close": ohlc[3],
        "vwap": vwap,
        "trades": trades,
        "volume": volume,
        "interval_begin": rfc3339(begin),
        "interval": interval,
        "timestamp": rfc3339(begin + interval * 60),
    }


def aggregate_candles(symbol: str, interval: int, minutes: list[Candle]) -> list[dict[str, Any]]:
    """Group 1-minute candles (oldest first) into ``interval``-minute ``ohlc`` objects."""
    span = interval * 60
    buckets: dict[int, list[Candle]] = {}
    for c in minutes:
        buckets.setdefault(c.begin // span * span, []).append(c)
    out: list[dict[str, Any]] = []
    for begin, rows in buckets.items():
        volume = sum((c.volume for c in rows), Decimal(0))
        value = sum((c.value for c in rows), Decimal(0))
        ohlc = (rows[0].open, max(c.high for c in rows), min(c.low for c in rows), rows[-1].close)
        vwap = value / volume if volume else rows[-1].close
        trades = sum(c.count for c in rows)
        out.append(candle_data(symbol, interval, float(begin), ohlc, vwap, volume, trades))
    return out


def instrument_data() -> dict[str, Any]:
    """The ``instrument`` snapshot: every asset and pair with precisions and minimums."""
    assets = [
        {
            "id": a.ws_name,
            "status": "enabled",
            "precision": a.decimals,
            "precision_display": a.display_decimals,
            "borrowable": False,
            "collateral_value": a.collateral_value,
            "margin_rate": Decimal(0),
        }
        for a in ASSETS.values()
    ]
    pairs = [
        {
            "symbol": p.symbol,
            "base": ASSETS[p.base].ws_name if p.base in ASSETS else p.base,
            "quote": ASSETS[p.quote].ws_name if p.quote in ASSETS else p.quote,
            "status": "online",
            "qty_precision": p.lot_decimals,
            "qty_increment": Decimal(1).scaleb(-p.lot_decimals),
            "price_precision": p.pair_decimals,
            "cost_precision": p.cost_decimals,
            "marginable": False,
            "has_index": True,
            "cost_min": p.costmin,
            "tick_size": p.tick_size,
            "price_increment": p.tick_size,
            "qty_min": p.ordermin,
        }
        for p in PAIRS.values()
    ]
    return {"assets": assets, "pairs": pairs}
