"""Public subscribe/unsubscribe of the paper WS server: acks per symbol, snapshots, book diffs."""

from __future__ import annotations

from typing import Any

from src.venues.kraken_paper.events import BookEvent
from src.venues.kraken_paper.ws_book import SubscriberBook
from src.venues.kraken_paper.ws_public_feed import (
    BOOK_DEPTHS,
    OHLC_INTERVALS,
    aggregate_candles,
    instrument_data,
    pair_for_symbol,
    ticker_data,
)
from src.venues.kraken_paper.ws_session import WsSession
from src.venues.kraken_paper.ws_venue import WsVenue
from src.venues.kraken_paper.ws_wire import error_reply, ok_reply, rfc3339

__all__ = ["PublicSubscriptions"]

PUBLIC_CHANNELS = ("book", "ticker", "trade", "ohlc", "instrument")


class PublicSubscriptions:
    """Handles public channel requests for every session of one hub."""

    def __init__(self, venue: WsVenue) -> None:
        self.venue = venue

    def handle(
        self, session: WsSession, method: str, params: dict[str, Any], req_id: Any, t_in: float
    ) -> None:
        """Answer one subscribe/unsubscribe: one ack per symbol, then its snapshot."""
        channel = params.get("channel")
        if channel not in PUBLIC_CHANNELS:
            session.send(self._err(method, "EGeneral:Invalid arguments:channel", req_id, t_in))
            return
        if channel == "instrument":
            self._instrument(session, method, params, req_id, t_in)
            return
        symbols = params.get("symbol")
        if not isinstance(symbols, list) or not symbols:
            session.send(self._err(method, "EGeneral:Invalid arguments:symbol", req_id, t_in))
            return
        option = self._option(channel, params)
        if option is None:
            field = "depth" if channel == "book" else "interval"
            session.send(self._err(method, f"EGeneral:Invalid arguments:{field}", req_id, t_in))
            return
        for symbol in symbols:
            if pair_for_symbol(symbol) is None:
                error = f"Currency pair not supported {symbol}"
                session.send(self._err(method, error, req_id, t_in, symbol=symbol))
                continue
            if method == "subscribe":
                self._subscribe(session, channel, symbol, option, params, req_id, t_in)
            else:
                self._unsubscribe(session, channel, symbol, option, req_id, t_in)

    def _err(self, method: str, error: str, req_id: Any, t_in: float, **extra: Any) -> Any:
        return error_reply(method, error, req_id, t_in, self.venue.now(), **extra)

    @staticmethod
    def _option(channel: str, params: dict[str, Any]) -> int | None:
        if channel == "book":
            depth = params.get("depth", 10)
            return depth if depth in BOOK_DEPTHS else None
        if channel == "ohlc":
            interval = params.get("interval")
            return interval if interval in OHLC_INTERVALS else None
        return 0

    def _ack(self, session: WsSession, method: str, result: dict[str, Any], req_id: Any,
             t_in: float) -> None:  # fmt: skip
        session.send(ok_reply(method, result, req_id, t_in, self.venue.now()))

    def _subscribe(
        self,
        session: WsSession,
        channel: str,
        symbol: str,
        option: int,
        params: dict[str, Any],
        req_id: Any,
        t_in: float,
    ) -> None:
        market = self.venue.market(symbol)
        assert market is not None
        snapshot = params.get("snapshot", channel != "trade") is not False
        result: dict[str, Any] = {"channel": channel, "symbol": symbol, "snapshot": snapshot}
        if channel == "book":
            spec = market.spec
            book = SubscriberBook(option, spec.pair_decimals, spec.lot_decimals)
            session.books[symbol] = book
            self._ack(session, "subscribe", {**result, "depth": option}, req_id, t_in)
            bids, asks = book.snapshot(*market.book())
            stamp = rfc3339(self.venue.now())
            data = {"symbol": symbol, "bids": _levels(bids), "asks": _levels(asks),
                    "checksum": book.checksum(), "timestamp": stamp}  # fmt: skip
            session.send({"channel": "book", "type": "snapshot", "data": [data]})
        elif channel == "ticker":
            trigger = params.get("event_trigger", "trades")
            session.tickers[symbol] = str(trigger)
            self._ack(session, "subscribe", {**result, "event_trigger": trigger}, req_id, t_in)
            if snapshot:
                data = ticker_data(market.ticker_event(self.venue.now()))
                session.send({"channel": "ticker", "type": "snapshot", "data": [data]})
        elif channel == "trade":
            session.trades.add(symbol)
            self._ack(session, "subscribe", result, req_id, t_in)
            if snapshot:
                self._trade_snapshot(session, symbol)
        else:
            session.ohlc.setdefault(symbol, set()).add(option)
            self._ack(session, "subscribe", {**result, "interval": option}, req_id, t_in)
            if snapshot:
                now = self.venue.now()
                rows = aggregate_candles(symbol, option, market.window(now, option * 60 * 10))
                frame = {"channel": "ohlc", "type": "snapshot", "data": rows,
                         "timestamp": rfc3339(now)}  # fmt: skip
                session.send(frame)

    def _trade_snapshot(self, session: WsSession, symbol: str) -> None:
        market = self.venue.market(symbol)
        assert market is not None
        data = [
            {
                "symbol": symbol,
                "side": "buy" if t.side == "b" else "sell",
                "price": t.price,
                "qty": t.qty,
                "ord_type": "market" if t.ordertype == "m" else "limit",
                "trade_id": t.trade_id,
                "timestamp": rfc3339(t.time),
            }
            for t in list(market.tape)[-50:]
        ]
        session.send({"channel": "trade", "type": "snapshot", "data": data})

    def _unsubscribe(
        self, session: WsSession, channel: str, symbol: str, option: int, req_id: Any, t_in: float
    ) -> None:
        """Drop one subscription; ``Subscription Not Found`` (with the symbol) if there is none.

        The reply carries what the subscription had (``depth``, ``event_trigger``,
        ``interval``), as Kraken's does. Kraken's error for a missing subscription names
        ``subscribe`` as its method, not ``unsubscribe`` (recorded replies show it so), and so
        does this one.
        """
        result: dict[str, Any] = {"channel": channel, "symbol": symbol}
        if channel == "book":
            book = session.books.pop(symbol, None)
            found = book is not None
            if book is not None:
                result["depth"] = book.depth
        elif channel == "ticker":
            trigger = session.tickers.pop(symbol, None)
            found = trigger is not None
            result["event_trigger"] = trigger
        elif channel == "trade":
            found = symbol in session.trades
            session.trades.discard(symbol)
        else:
            intervals = session.ohlc.get(symbol, set())
            found = option in intervals
            intervals.discard(option)
            if not intervals:
                session.ohlc.pop(symbol, None)
            result["interval"] = option
        if not found:
            error = "Subscription Not Found"
            session.send(self._err("subscribe", error, req_id, t_in, symbol=symbol))
            return
        self._ack(session, "unsubscribe", result, req_id, t_in)

    def _instrument(
        self, session: WsSession, method: str, params: dict[str, Any], req_id: Any, t_in: float
    ) -> None:
        subscribe = method == "subscribe"
        if not subscribe and not session.instrument:
            session.send(self._err("subscribe", "Subscription Not Found", req_id, t_in))
            return
        session.instrument = subscribe
        self._ack(session, method, {"channel": "instrument", "snapshot": True}, req_id, t_in)
        if subscribe and params.get("snapshot", True) is not False:
            session.send({"channel": "instrument", "type": "snapshot", "data": instrument_data()})

    def book_update(self, session: WsSession, event: BookEvent) -> None:
        """Send ``session`` the changes of its copy of ``event.symbol``'s book."""
        book = session.books[event.symbol]
        bids, asks = book.diff(event.bids, event.asks)
        if not bids and not asks:
            return
        data = {"symbol": event.symbol, "bids": _levels(bids), "asks": _levels(asks),
                "checksum": book.checksum(), "timestamp": rfc3339(event.timestamp)}  # fmt: skip
        session.send({"channel": "book", "type": "update", "data": [data]})


def _levels(levels: list[Any]) -> list[dict[str, Any]]:
    return [{"price": p, "qty": q} for p, q in levels]
