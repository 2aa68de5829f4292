"""Matching engine: takes liquidity from the market book, rests limit orders, fires triggers.

Resting orders fill as makers at their limit price when the public market trades through them
(partial fills by the traded size). Own orders are not shown in the public book.

Every mutation is also noted in ``Engine.changes`` (which orders, trades, accounts and ledger
entries), so the store writes only those rows instead of the whole history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from src.venues.kraken_paper import errors as E
from src.venues.kraken_paper.accounts import Account, LedgerEntry, order_hold, quantize_up
from src.venues.kraken_paper.conditional import place_close
from src.venues.kraken_paper.errors import KrakenError
from src.venues.kraken_paper.events import BalanceEvent, EventBus, OrderEvent, OwnTradeEvent
from src.venues.kraken_paper.market import PairMarket
from src.venues.kraken_paper.orders import RESTING_TYPES, PaperOrder, PaperTrade, new_id
from src.venues.kraken_paper.own_book import (
    best_resting,
    join_queue,
    publish,
    take_resting,
    trade_through,
)
from src.venues.kraken_paper.pairs import PAIRS, USD_PAIRS, asset_decimals
from src.venues.kraken_paper.trailing import fire, trail_to

OPEN_STATES = ("open", "pending")


@dataclass
class Changes:
    """What changed since the store last wrote: the rows to upsert, nothing else.

    Objects are kept by reference, so a row written later carries its latest state.
    """

    orders: dict[str, PaperOrder] = field(default_factory=dict)
    trades: dict[str, PaperTrade] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    ledger: list[tuple[str, LedgerEntry]] = field(default_factory=list)  # (account id, entry)

    def __bool__(self) -> bool:
        return bool(self.orders or self.trades or self.accounts or self.ledger)

    def clear(self) -> None:
        """Forget everything noted (after the store committed it)."""
        self.orders.clear()
        self.trades.clear()
        self.accounts.clear()
        self.ledger.clear()


class Engine:
    """Accounts, orders and trades of the exchange, and the rules that change them."""

    def __init__(self, bus: EventBus, markets: dict[str, PairMarket], now: Callable[[], float]):
        self.bus = bus
        self.markets = markets
        self.now = now
        self.accounts: dict[str, Account] = {}
        self.orders: dict[str, PaperOrder] = {}
        # Orders that may still be open, oldest first; pruned as they close, so the many
        # per-tick scans cost O(open orders), not O(every order ever placed).
        self._maybe_open: dict[str, PaperOrder] = {}
        self.trades: dict[str, PaperTrade] = {}
        self.changes = Changes()
        self._books: set[str] = set()  # pairs whose resting orders changed since last shown
        # Called after every change (the details are in ``changes``).
        self.on_change: Callable[[], None] = lambda: None

    def add_account(self, account: Account) -> None:
        """Record a new (or replaced) account; it is written with the next commit."""
        self.accounts[account.id] = account
        self.changes.accounts[account.id] = account
        self.on_change()

    def add_order(self, order: PaperOrder) -> None:
        """Record an order (new, or restored from storage)."""
        self.orders[order.txid] = order
        if order.status in OPEN_STATES:
            self._maybe_open[order.txid] = order

    # ----- queries -------------------------------------------------------------------------
    def open_orders(self, account_id: str | None = None) -> list[PaperOrder]:
        """Open orders (optionally of one account), oldest first."""
        closed = [t for t, o in self._maybe_open.items() if o.status not in OPEN_STATES]
        for txid in closed:  # a closed order never reopens (EditOrder makes a new order)
            del self._maybe_open[txid]
        return [
            o for o in self._maybe_open.values() if account_id is None or o.account_id == account_id
        ]

    def taker_pct(self, account: Account, pair_key: str) -> Decimal:
        """The account's taker fee on ``pair_key``, in percent."""
        return PAIRS[pair_key].fee_percent(account.volume_usd, maker=False)

    def holds(self, account: Account) -> dict[str, Decimal]:
        """Funds held by the account's open orders, per asset."""
        out: dict[str, Decimal] = {}
        for o in self.open_orders(account.id):
            asset, amount = order_hold(o, self.taker_pct(account, o.pair_key))
            out[asset] = out.get(asset, Decimal(0)) + amount
        return out

    def available(self, account: Account, asset: str, exclude: str | None = None) -> Decimal:
        """Balance minus holds (ignoring the order ``exclude``)."""
        held = Decimal(0)
        for o in self.open_orders(account.id):
            if o.txid == exclude:
                continue
            a, amount = order_hold(o, self.taker_pct(account, o.pair_key))
            if a == asset:
                held += amount
        return account.balances.get(asset, Decimal(0)) - held

    # ----- order entry ----------------------------------------------------------------------
    def check_funds(self, account: Account, order: PaperOrder, exclude: str | None = None) -> None:
        """Raise ``EOrder:Insufficient funds`` unless the order is covered."""
        pct = self.taker_pct(account, order.pair_key)
        if order.ordertype == "market" and order.side == "buy":
            price = self.market_buy_estimate(order.pair_key, order.volume)
            notional = order.volume * price
            need = notional + (Decimal(0) if order.fee_in_base else notional * pct / 100)
            asset = order.spec.quote
        else:
            asset, need = order_hold(order, pct)
        if need > self.available(account, asset, exclude):
            raise KrakenError(E.INSUFFICIENT_FUNDS)

    def market_buy_estimate(self, pair_key: str, qty: Decimal) -> Decimal:
        """Worst price a market buy of ``qty`` would reach walking the asks."""
        market = self.markets[pair_key]
        left, price = qty, market.last
        for lv_price, lv_qty in market.book()[1]:
            price = lv_price
            left -= lv_qty
            if left <= 0:
                break
        return price

    def marketable(self, order: PaperOrder) -> bool:
        """Would a live limit order take liquidity right now?"""
        bids, asks = self.markets[order.pair_key].book()
        limit = order.limit_price
        if limit is None:
            return True
        if order.side == "buy":
            return bool(asks) and limit >= asks[0][0]
        return bool(bids) and limit <= bids[0][0]

    def submit(self, order: PaperOrder) -> None:
        """Accept a validated, funded order: match what crosses, rest or cancel the rest."""
        if order.post_only and order.ordertype in RESTING_TYPES and self.marketable(order):
            raise KrakenError(E.POST_ONLY)
        self.add_order(order)
        now = order.opentm
        self.emit(order, "pending_new", now)
        if order.starttm is not None and order.starttm > now:
            order.status = "pending"  # scheduled: live at starttm (``start_due``)
        else:
            self._open(order, now)
        self.on_change()

    def _open(self, order: PaperOrder, now: float) -> None:
        order.status = "open"
        self.emit(order, "new", now)
        if order.ordertype in ("market", *RESTING_TYPES):
            self._go_live(order, now)

    def start_due(self, now: float) -> None:
        """Put scheduled orders whose ``starttm`` has come on the book."""
        for o in self.open_orders():
            if o.status == "pending" and o.starttm is not None and o.starttm <= now:
                self._open(o, now)
                self.on_change()

    def _go_live(self, order: PaperOrder, now: float) -> None:
        self._take(order, now)
        if order.status not in OPEN_STATES:
            return
        if order.limit_price is None or order.timeinforce == "IOC":
            reason = "Immediate or cancel" if order.timeinforce == "IOC" else "No liquidity"
            self.close(order, "canceled", reason, now)
            return
        join_queue(self, order, now)  # it rests: behind the volume already at its price

    def _take(self, order: PaperOrder, now: float) -> None:
        """Walk the opposite side of the combined book while the order crosses.

        At each price the market's volume goes first, then resting orders by time
        (``own_book.take_resting``: other accounts trade, the same account's meet STP).
        """
        market = self.markets[order.pair_key]
        buy = order.side == "buy"
        limit = order.limit_price
        while order.remaining > 0 and order.status in OPEN_STATES:
            levels = market.asks if buy else market.bids
            maker = best_resting(self, order)
            ours = maker.limit_price if maker is not None else None
            price = levels[0][0] if levels else ours
            if price is None:
                break
            if ours is not None and (ours < price if buy else ours > price):
                price = ours
            if limit is not None and (price > limit if buy else price < limit):
                break
            if levels and levels[0][0] == price:
                if not self._take_level(order, price, levels[0][1], now):
                    return
            elif maker is not None and not take_resting(self, order, maker, now):
                return

    def _take_level(self, order: PaperOrder, price: Decimal, qty: Decimal, now: float) -> bool:
        """Take from the market's own level; False when a buy cannot pay for more."""
        fill = min(qty, order.remaining)
        if order.side == "buy":
            fill = min(fill, self.affordable(order, price))
            if fill <= 0:
                self.close(order, "canceled", "Insufficient funds", now)
                return False
        market = self.markets[order.pair_key]
        market.consume(order.side, price, fill, now)
        market.record_trade(price, fill, order.side, order.ordertype, now)
        self.fill(order, price, fill, maker=False, now=now)
        return True

    def affordable(self, order: PaperOrder, price: Decimal) -> Decimal:
        """How much of a buy the account can pay for at ``price`` (taker fee included)."""
        account = self.accounts[order.account_id]
        quote = order.spec.quote
        pct = self.taker_pct(account, order.pair_key)
        free = self.available(account, quote, exclude=order.txid)
        unit = price * (1 + (Decimal(0) if order.fee_in_base else pct / 100))
        lot = Decimal(1).scaleb(-order.spec.lot_decimals)
        return max(Decimal(0), (free / unit).quantize(lot, rounding="ROUND_DOWN"))

    # ----- fills and closes -------------------------------------------------------------------
    def fill(
        self, order: PaperOrder, price: Decimal, qty: Decimal, maker: bool, now: float
    ) -> None:
        """Execute ``qty`` of ``order`` at ``price``: trade, ledger, events; close if done."""
        spec = order.spec
        account = self.accounts[order.account_id]
        qdec, bdec = asset_decimals(spec.quote), asset_decimals(spec.base)
        # The trade's cost keeps the pair's cost precision (Kraken reports it so); the ledger
        # moves it in the quote asset's own decimals.
        cost = (price * qty).quantize(Decimal(1).scaleb(-spec.cost_decimals), ROUND_HALF_EVEN)
        paid = cost.quantize(Decimal(1).scaleb(-qdec), rounding=ROUND_HALF_EVEN)
        pct = spec.fee_percent(account.volume_usd, maker)
        if order.fee_in_base:
            fee, fee_asset = quantize_up(qty * pct / 100, bdec), spec.base
        else:
            fee, fee_asset = quantize_up(cost * pct / 100, qdec), spec.quote
        sign = 1 if order.side == "buy" else -1
        trade = PaperTrade(
            new_id("T"), order.txid, account.id, spec.key, now, order.side, order.ordertype,
            price, cost, fee, fee_asset, qty, maker, self.markets[spec.key].next_trade_id - 1,
        )  # fmt: skip
        entries = [
            account.post(spec.quote, -sign * paid, fee if fee_asset == spec.quote else Decimal(0),
                         trade.txid, now),
            account.post(spec.base, sign * qty, fee if fee_asset == spec.base else Decimal(0),
                         trade.txid, now),
        ]  # fmt: skip
        trade.ledgers = [e.id for e in entries]
        self.trades[trade.txid] = trade
        self.changes.trades[trade.txid] = trade
        self.changes.accounts[account.id] = account
        self.changes.ledger += [(account.id, e) for e in entries]
        account.volume_usd += self.usd_value(spec.quote, cost)
        order.vol_exec += qty
        order.cost += cost
        order.notional += price * qty
        order.fee += fee
        order.trade_ids.append(trade.txid)
        own = OwnTradeEvent(
            account.id, trade.txid, trade.trade_id, order.txid, spec.key, spec.symbol, order.side,
            order.ordertype, price, qty, cost, fee, fee_asset, "m" if maker else "t", now,
        )  # fmt: skip
        self.bus.publish(own)
        self.emit(order, "trade", now, fill=own)
        for e in entries:
            self.bus.publish(
                BalanceEvent(account.id, e.id, trade.txid, now, "trade", "", e.asset, e.amount,
                             e.fee, e.balance)
            )  # fmt: skip
        self.on_change()
        if order.remaining <= 0:
            self.close(order, "closed", None, now)
        if order.close_ordertype is not None:
            place_close(self, order, qty, now)

    def usd_value(self, asset: str, amount: Decimal) -> Decimal:
        """Approximate USD value (fee-tier volume, TradeBalance), via the asset's USD pair.

        A pair whose market is not built yet counts at its reference price: valuing a
        balance must not build markets.
        """
        if asset == "ZUSD":
            return amount
        spec = USD_PAIRS.get(asset)
        if spec is None:
            return Decimal(0)
        market = self.markets.get(spec.key) if spec.key in self.markets else None
        return amount * (market.last if market is not None and market.last else spec.start_price)

    def close(self, order: PaperOrder, status: str, reason: str | None, now: float) -> None:
        """Finish an order: closed, canceled or expired."""
        order.status = status
        order.closetm = now
        order.reason = reason
        exec_type = {"closed": "filled", "canceled": "canceled", "expired": "expired"}[status]
        self.emit(order, exec_type, now, reason=reason)
        self.on_change()

    def emit(
        self, order: PaperOrder, exec_type: str, now: float,
        fill: OwnTradeEvent | None = None, reason: str | None = None,
    ) -> None:  # fmt: skip
        """Publish an ``OrderEvent`` of ``exec_type`` with the order's snapshot.

        Every change to an order (new, fill, trigger, amend, close) is announced here, which
        makes this the one place to note the order as changed.
        """
        self.changes.orders[order.txid] = order
        self._books.add(order.pair_key)
        self.bus.publish(OrderEvent(exec_type, order.snapshot(), now, fill, reason))

    def show_book(self, pair_key: str) -> None:
        """Have a pair's book republished with its resting orders (``publish_books``)."""
        self._books.add(pair_key)

    def publish_books(self, now: float) -> None:
        """Show the changed pairs' resting orders in their public books (before any ack)."""
        for pair_key in sorted(self._books):
            publish(self, pair_key, now)
        self._books.clear()

    # ----- market-driven -------------------------------------------------------------------
    def on_market_trade(self, pair_key: str, price: Decimal, qty: Decimal, now: float) -> None:
        """Fire triggers, then fill resting limits the trade went through (maker, limit price)."""
        book = [o for o in self.open_orders() if o.pair_key == pair_key and o.status == "open"]
        for o in book:
            if o.ordertype in ("market", *RESTING_TYPES) or o.triggered:
                continue
            if o.trail is not None:
                trail_to(o, price)
                self.changes.orders[o.txid] = o
            if self._hit(o, price):
                fire(o)
                self.emit(o, "status", now, reason="triggered")
                self._go_live(o, now)
        trade_through(self, pair_key, price, qty, now)

    @staticmethod
    def _hit(order: PaperOrder, last: Decimal) -> bool:
        trigger = order.price or Decimal(0)
        stop = not order.ordertype.startswith("take-profit")  # stop-loss and trailing stops
        rising = order.side == "buy" if stop else order.side == "sell"
        return last >= trigger if rising else last <= trigger

    def expire_due(self, now: float) -> None:
        """Expire GTD orders whose ``expiretm`` has passed."""
        for o in self.open_orders():
            if o.expiretm and o.expiretm <= now:
                self.close(o, "expired", "Order expired", now)
