"""WebSocket v1 at ``/ws/v1``: info, challenge, public and private feeds, heartbeats, faults.

One session per connection. Public feeds (``ticker``, ``book``, ``trade``, ``heartbeat``) take
``product_ids``; private ones (``open_orders``, ``open_positions``, ``fills``, ``balances``)
take ``api_key``, ``original_challenge`` and ``signed_challenge`` and echo them in the ack.
Book deltas carry the subscription's ``seq``, one per message, so a client can see a gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aiohttp import WSMsgType, web

from src.venues.kraken_futures_paper import feeds, payloads
from src.venues.kraken_futures_paper.api import Venue
from src.venues.kraken_futures_paper.auth import AuthFailure
from src.venues.kraken_futures_paper.wire import dumps, ms

__all__ = ["PRIVATE_FEEDS", "PUBLIC_FEEDS", "WsHub", "mount"]

PUBLIC_FEEDS = frozenset({"ticker", "ticker_lite", "book", "trade", "heartbeat"})
PRIVATE_FEEDS = frozenset({"open_orders", "open_orders_verbose", "open_positions", "fills",
                           "balances"})  # fmt: skip
HEARTBEAT_S = 5.0


@dataclass(eq=False)  # sessions are kept in a set: identity, not value
class Session:
    """One client connection and what it subscribed to."""

    ws: web.WebSocketResponse
    queue: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    public: set[tuple[str, str]] = field(default_factory=set)
    private: set[str] = field(default_factory=set)
    account: str | None = None
    heartbeat: bool = False
    seq: dict[tuple[str, str], int] = field(default_factory=dict)
    books: dict[str, tuple[dict[Decimal, Decimal], dict[Decimal, Decimal]]] = field(
        default_factory=dict
    )

    def send(self, message: dict[str, Any]) -> None:
        """Queue a message (the writer task sends them in order)."""
        self.queue.put_nowait(dumps(message))

    def next_seq(self, feed: str, product: str) -> int:
        """The subscription's next sequence number."""
        value = self.seq.get((feed, product), 0) + 1
        self.seq[(feed, product)] = value
        return value


class WsHub:
    """Every session, fed from the engine's change events."""

    def __init__(self, exchange: Venue) -> None:
        self.exchange = exchange
        self.sessions: set[Session] = set()
        self._closing: set[asyncio.Future[bool]] = set()
        exchange.engine.listeners.append(self.on_event)
        self._heartbeat = asyncio.ensure_future(self._beat())

    async def close(self) -> None:
        """Close every session and stop the heartbeat."""
        self._heartbeat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._heartbeat
        for session in list(self.sessions):
            await session.ws.close()

    async def drop_private(self) -> int:
        """Close every session with a private subscription (fault knob); returns how many."""
        doomed = [s for s in self.sessions if s.private]
        for session in doomed:
            await session.ws.close()
        return len(doomed)

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            for session in list(self.sessions):
                if session.heartbeat:
                    session.send({"feed": "heartbeat", "time": ms(self.exchange.now())})

    # ------------------------------------------------------------------ engine events
    def on_event(self, kind: str, data: dict[str, Any]) -> None:
        """Turn one engine change into feed messages for the sessions that want it."""
        for session in list(self.sessions):
            if kind in ("ticker", "book", "trade"):
                if (kind, data["symbol"]) in session.public or (
                    kind == "ticker" and ("ticker_lite", data["symbol"]) in session.public
                ):
                    self._public(session, kind, data)
            elif session.account is not None and data.get("account") == session.account:
                self._private(session, kind, data)

    def _public(self, session: Session, kind: str, data: dict[str, Any]) -> None:
        symbol = data["symbol"]
        if kind == "ticker":
            session.send(feeds.ticker(self.exchange, symbol))
        elif kind == "trade":
            session.send(feeds.trade(symbol, data["item"], session.next_seq("trade", symbol)))
        else:
            self._book_deltas(session, symbol)

    def _book_deltas(self, session: Session, symbol: str) -> None:
        bids, asks = self.exchange.book_levels(symbol)
        new = (dict(bids), dict(asks))
        old = session.books.get(symbol, ({}, {}))
        session.books[symbol] = new
        for side, before, after in (("buy", old[0], new[0]), ("sell", old[1], new[1])):
            for price in sorted(set(before) | set(after)):
                qty = after.get(price, Decimal(0))
                if before.get(price) == qty:
                    continue
                seq = session.next_seq("book", symbol)
                if self.exchange.faults.take("book_gap_next"):
                    seq = session.next_seq("book", symbol)  # one number skipped: a lost delta
                now = ms(self.exchange.now())
                session.send({"feed": "book", "product_id": symbol, "side": side, "seq": seq,
                              "price": price, "qty": qty, "timestamp": now})  # fmt: skip

    def _private(self, session: Session, kind: str, data: dict[str, Any]) -> None:
        engine = self.exchange.engine
        account = engine.accounts[session.account or ""]
        if kind == "order" and session.private & {"open_orders", "open_orders_verbose"}:
            order = data["order"]
            closed = not order.is_open
            msg: dict[str, Any] = {
                "feed": "open_orders",
                "is_cancel": closed,
                "reason": data["reason"],
            }
            if closed:
                msg["order_id"] = order.order_id
            else:
                msg["order"] = payloads.ws_order(order)
            session.send(msg)
        elif kind == "fill" and "fills" in session.private:
            session.send({"feed": "fills", "username": account.id,
                          "fills": [payloads.ws_fill(data["fill"])]})  # fmt: skip
        elif kind == "position" and "open_positions" in session.private:
            session.send(feeds.positions(self.exchange, account, session.next_seq("positions", "")))
        elif kind == "balance" and "balances" in session.private:
            seq = session.next_seq("balances", "")
            session.send(feeds.balances(self.exchange, account, seq, "balances"))

    # ------------------------------------------------------------------ client messages
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """One connection: read requests, write queued messages."""
        ws = web.WebSocketResponse(heartbeat=None, autoping=True)
        await ws.prepare(request)
        session = Session(ws)
        self.sessions.add(session)
        writer = asyncio.ensure_future(self._write(session))
        session.send({"event": "info", "version": 1})
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                self._request(session, message.data)
        finally:
            self.sessions.discard(session)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        return ws

    async def _write(self, session: Session) -> None:
        while True:
            text = await session.queue.get()
            try:
                await session.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return

    def _request(self, session: Session, text: str) -> None:
        try:
            body = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError:
            session.send({"event": "error", "message": "Json Error"})
            return
        if not isinstance(body, dict):
            session.send({"event": "error", "message": "Json Error"})
            return
        event = body.get("event")
        try:
            if event == "challenge":
                key = str(body.get("api_key", ""))
                session.send({"event": "challenge", "message": self.exchange.keys.challenge(key)})
            elif event in ("subscribe", "unsubscribe"):
                self._subscription(session, body, event == "subscribe")
            else:
                session.send({"event": "error", "message": "Json Error"})
        except AuthFailure as failure:
            session.send({"event": "error", "message": failure.error})

    def _subscription(self, session: Session, body: dict[str, Any], on: bool) -> None:
        feed = str(body.get("feed", ""))
        if feed in PRIVATE_FEEDS:
            self._private_subscription(session, body, feed, on)
            return
        if feed not in PUBLIC_FEEDS:
            session.send({"event": "error", "message": "Invalid feed"})
            return
        if feed == "heartbeat":
            session.heartbeat = on
            session.send({"event": "subscribed" if on else "unsubscribed", "feed": feed})
            return
        products = [str(p).upper() for p in body.get("product_ids") or []]
        if not products or any(p not in self.exchange.engine.contracts for p in products):
            session.send({"event": "error", "message": "Invalid product id"})
            return
        session.send({"event": "subscribed" if on else "unsubscribed", "feed": feed,
                      "product_ids": products})  # fmt: skip
        for product in products:
            if on:
                session.public.add((feed, product))
                self._public_snapshot(session, feed, product)
            else:
                session.public.discard((feed, product))

    def _public_snapshot(self, session: Session, feed: str, product: str) -> None:
        session.seq[(feed, product)] = 0
        if feed in ("ticker", "ticker_lite"):
            session.send(feeds.ticker(self.exchange, product))
        elif feed == "book":
            snapshot = feeds.book_snapshot(
                self.exchange, product, session.next_seq("book", product)
            )
            bids, asks = self.exchange.book_levels(product)
            session.books[product] = (dict(bids), dict(asks))
            session.send(snapshot)
        elif feed == "trade":
            prints = list(self.exchange.engine.markets[product].prints)[-100:]
            rows = [feeds.trade(product, p, session.next_seq("trade", product)) for p in prints]
            session.send({"feed": "trade_snapshot", "product_id": product, "trades": rows[::-1]})

    def _private_subscription(
        self, session: Session, body: dict[str, Any], feed: str, on: bool
    ) -> None:
        if self.exchange.faults.drop_private_ws:
            self._closing.add(asyncio.ensure_future(session.ws.close()))
            return
        api_key = self.exchange.keys.verify_challenge(
            str(body.get("api_key", "")), str(body.get("original_challenge", "")),
            str(body.get("signed_challenge", "")),
        )  # fmt: skip
        session.account = api_key.account
        keys = {k: body.get(k) for k in ("api_key", "original_challenge", "signed_challenge")}
        session.send({"event": "subscribed" if on else "unsubscribed", "feed": feed, **keys})
        if not on:
            session.private.discard(feed)
            return
        session.private.add(feed)
        account = self.exchange.engine.accounts[api_key.account]
        if feed in ("open_orders", "open_orders_verbose"):
            orders = [payloads.ws_order(o) for o in self.exchange.engine.open_orders(account.id)]
            session.send({"feed": f"{feed}_snapshot", "account": account.id, "orders": orders})
        elif feed == "fills":
            session.send(feeds.fills_snapshot(account))
        elif feed == "open_positions":
            session.send(feeds.positions(self.exchange, account, session.next_seq("positions", "")))
        elif feed == "balances":
            seq = session.next_seq("balances", "")
            session.send(feeds.balances(self.exchange, account, seq, "balances_snapshot"))


def mount(app: web.Application, exchange: Venue) -> WsHub:
    """Serve WebSocket v1 at ``/ws/v1``; returns the hub."""
    hub = WsHub(exchange)
    app.router.add_get("/ws/v1", hub.handle)
    return hub
