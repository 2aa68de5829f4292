"""Public REST: instruments, tickers, order book, trade history, fee schedules, funding, charts."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from src.venues.kraken_futures_paper.api import Venue
from src.venues.kraken_futures_paper.candles import RESOLUTIONS, candles
from src.venues.kraken_futures_paper.params import BadRequest, Params
from src.venues.kraken_futures_paper.views import fee_schedules_view, instrument_view, ticker_view
from src.venues.kraken_futures_paper.wire import dumps, iso, ok_reply

__all__ = ["charts", "public_handlers"]

Handler = Any


def _symbol(exchange: Venue, params: Params) -> str:
    symbol = params.require("symbol").upper()
    if symbol not in exchange.engine.contracts:
        raise BadRequest("contractNotFound")
    return symbol


async def instruments(exchange: Venue, params: Params) -> web.Response:
    """``GET /instruments``."""
    rows = [instrument_view(c) for c in exchange.engine.contracts.values()]
    return ok_reply(exchange.now(), instruments=rows)


async def instruments_status(exchange: Venue, params: Params) -> web.Response:
    """``GET /instruments/status``: this venue never dislocates."""
    rows = [
        {"tradeable": s, "experiencingDislocation": False, "priceDislocationDirection": None,
         "experiencingExtremeVolatility": False, "extremeVolatilityInitialMarginMultiplier": 1}
        for s in exchange.engine.contracts
    ]  # fmt: skip
    return ok_reply(exchange.now(), instrumentStatus=rows)


def _index_rows(exchange: Venue) -> list[dict[str, Any]]:
    now = iso(exchange.now())
    bases = sorted({m.contract.base: m.index for m in exchange.engine.markets.values()}.items())
    return [
        row
        for base, index in bases
        for row in (
            {"symbol": f"in_{base.lower()}usd", "last": index, "lastTime": now},
            {"symbol": f"rr_{base.lower()}usd", "last": index, "lastTime": now},
        )
    ]


async def tickers(exchange: Venue, params: Params) -> web.Response:
    """``GET /tickers`` (contracts, then the real-time indices and reference rates)."""
    rows = [ticker_view(exchange, s) for s in exchange.engine.contracts] + _index_rows(exchange)
    return ok_reply(exchange.now(), tickers=rows)


async def ticker(exchange: Venue, symbol: str) -> web.Response:
    """``GET /tickers/{symbol}``."""
    if symbol.upper() not in exchange.engine.contracts:
        raise BadRequest("contractNotFound")
    return ok_reply(exchange.now(), ticker=ticker_view(exchange, symbol.upper()))


async def orderbook(exchange: Venue, params: Params) -> web.Response:
    """``GET /orderbook?symbol=``: users' orders and the house quotes, non-cumulative."""
    bids, asks = exchange.book_levels(_symbol(exchange, params))
    book = {"bids": [[p, q] for p, q in bids], "asks": [[p, q] for p, q in asks]}
    return ok_reply(exchange.now(), orderBook=book)


async def history(exchange: Venue, params: Params) -> web.Response:
    """``GET /history?symbol=[&lastTime=]``: the last 100 trades, newest first."""
    market = exchange.engine.markets[_symbol(exchange, params)]
    prints = list(market.prints)
    last = params.get("lastTime")
    if last is not None:
        prints = [p for p in prints if iso(p.time) < last]
    rows = [
        {"time": iso(p.time), "trade_id": p.trade_id, "price": p.price, "size": p.size,
         "side": p.side, "type": p.kind, "uid": p.uid}
        for p in reversed(prints[-100:])
    ]  # fmt: skip
    return ok_reply(exchange.now(), history=rows)


async def feeschedules(exchange: Venue, params: Params) -> web.Response:
    """``GET /feeschedules``."""
    return ok_reply(exchange.now(), feeSchedules=fee_schedules_view())


async def funding_rates(exchange: Venue, params: Params) -> web.Response:
    """``GET /historical-funding-rates`` (and the v4 path clients use)."""
    symbol = _symbol(exchange, params)
    rows = [
        {"timestamp": iso(r.timestamp), "fundingRate": r.absolute,
         "relativeFundingRate": r.relative}
        for r in exchange.lifecycle.history.get(symbol, [])
    ]  # fmt: skip
    return ok_reply(exchange.now(), rates=rows)


def _number(params: Params, key: str) -> float | None:
    value = params.get(key)
    try:
        return None if value is None else float(value)
    except ValueError:
        raise BadRequest("invalidArgument") from None


async def charts(exchange: Venue, parts: list[str], params: Params) -> web.Response:
    """``/api/charts/v1/[tick_type[/symbol[/resolution]]]`` (no envelope, like Kraken's)."""
    kinds = ["spot", "mark", "trade"]
    if not parts:
        return web.Response(text=dumps(kinds), content_type="application/json")
    if parts[0] not in kinds:
        raise web.HTTPNotFound()
    if len(parts) == 1:
        return web.Response(
            text=dumps(sorted(exchange.engine.contracts)), content_type="application/json"
        )
    symbol = parts[1].upper()
    if symbol not in exchange.engine.contracts:
        raise web.HTTPNotFound()
    if len(parts) == 2:
        return web.Response(text=dumps(list(RESOLUTIONS)), content_type="application/json")
    if parts[2] not in RESOLUTIONS:
        raise web.HTTPNotFound()
    count = params.get("count")
    reply = candles(
        exchange.chart_points(parts[0], symbol), parts[2], _number(params, "from"),
        _number(params, "to"), int(count) if count and count.isdigit() else None,
    )  # fmt: skip
    return web.Response(text=dumps(reply), content_type="application/json")


def public_handlers() -> dict[str, Handler]:
    """Endpoint name -> handler (paths under ``/derivatives/api/v3/``)."""
    return {
        "instruments": instruments, "instruments/status": instruments_status,
        "tickers": tickers, "orderbook": orderbook, "history": history,
        "feeschedules": feeschedules, "historical-funding-rates": funding_rates,
    }  # fmt: skip
