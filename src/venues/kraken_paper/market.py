"""Public market state of one pair: synthesized or mirrored book, trade tape, 1-minute candles."""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from src.venues.kraken_paper.events import (
    BookEvent,
    CandleEvent,
    EventBus,
    Level,
    PublicTradeEvent,
    TickerEvent,
)
from src.venues.kraken_paper.pairs import PairSpec

BOOK_LEVELS = 25
CANDLE_KEEP = 6000  # 1-minute candles kept (~4 days); longer intervals aggregate these
TAPE_KEEP = 1000
SPREAD_KEEP = 200


@dataclass
class Candle:
    """A 1-minute candle being built from trades (vwap from value/volume)."""

    begin: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    value: Decimal = Decimal(0)
    volume: Decimal = Decimal(0)
    count: int = 0

    @property
    def vwap(self) -> Decimal:
        """Volume-weighted average price so far (0 before any trade)."""
        return self.value / self.volume if self.volume else Decimal(0)


@dataclass
class TapeTrade:
    """One public trade as the Trades endpoint reports it."""

    price: Decimal
    qty: Decimal
    time: float
    side: str  # b | s (taker)
    ordertype: str  # m | l
    trade_id: int


@dataclass
class PairMarket:
    """Book, tape, candles and ticker of one pair; publishes changes on the bus."""

    spec: PairSpec
    bus: EventBus
    rng: random.Random
    last: Decimal = Decimal(0)
    bids: list[list[Decimal]] = field(default_factory=list)
    asks: list[list[Decimal]] = field(default_factory=list)
    tape: deque[TapeTrade] = field(default_factory=lambda: deque(maxlen=TAPE_KEEP))
    candles: deque[Candle] = field(default_factory=lambda: deque(maxlen=CANDLE_KEEP))
    spreads: deque[tuple[int, Decimal, Decimal]] = field(
        default_factory=lambda: deque(maxlen=SPREAD_KEEP)
    )
    next_trade_id: int = 1
    book_time: float = 0.0
    # Resting orders' shown volume per price (own_book.publish keeps them): in the public book.
    own_bids: dict[Decimal, Decimal] = field(default_factory=dict)
    own_asks: dict[Decimal, Decimal] = field(default_factory=dict)

    def book(self) -> tuple[list[Level], list[Level]]:
        """The public book: the market's levels and resting orders together, best first.

        A market level on the wrong side of a resting order (an ask at or under a resting
        bid) is left out: the book a client sees never crosses.
        """
        top_bid = max(self.own_bids, default=None)
        top_ask = min(self.own_asks, default=None)
        bids = _merge(
            [(p, q) for p, q in self.bids if top_ask is None or p < top_ask], self.own_bids
        )
        asks = _merge(
            [(p, q) for p, q in self.asks if top_bid is None or p > top_bid], self.own_asks
        )
        return sorted(bids, key=lambda lv: -lv[0]), sorted(asks, key=lambda lv: lv[0])

    def announce(self, now: float) -> None:
        """Publish the public book as it now is (after resting orders changed)."""
        self._after_book(now)

    def quantize_price(self, price: Decimal) -> Decimal:
        """Round a price to the pair's tick."""
        tick = self.spec.tick_size
        steps = (price / tick).to_integral_value(ROUND_HALF_UP)
        return max(steps, Decimal(1)) * tick

    def quantize_qty(self, qty: Decimal) -> Decimal:
        """Round a quantity to the pair's lot decimals."""
        return qty.quantize(Decimal(1).scaleb(-self.spec.lot_decimals))

    def synthesize_book(self, mid: Decimal, now: float) -> None:
        """Rebuild ``BOOK_LEVELS`` levels per side around ``mid`` (spread ~1 bp, >= one tick)."""
        tick = self.spec.tick_size
        half = max(tick, self.quantize_price(mid * Decimal("0.00005")))
        step = max(tick, self.quantize_price(mid * Decimal("0.0001")))
        best_bid = self.quantize_price(mid - half)
        best_ask = max(self.quantize_price(mid + half), best_bid + tick)
        size = self.spec.typical_trade
        self.bids = []
        self.asks = []
        for i in range(BOOK_LEVELS):
            scale = Decimal(str(round(0.5 + self.rng.random() * (1 + i / 5), 3)))
            self.bids.append([best_bid - step * i, self.quantize_qty(size * scale)])
            scale = Decimal(str(round(0.5 + self.rng.random() * (1 + i / 5), 3)))
            self.asks.append([best_ask + step * i, self.quantize_qty(size * scale)])
        self.bids = [lv for lv in self.bids if lv[0] > 0]
        self._after_book(now)

    def set_book(self, bids: list[Level], asks: list[Level], now: float) -> None:
        """Replace the book with given levels (mirror mode)."""
        self.bids = [[p, q] for p, q in sorted(bids, key=lambda lv: -lv[0]) if q > 0]
        self.asks = [[p, q] for p, q in sorted(asks, key=lambda lv: lv[0]) if q > 0]
        self._after_book(now)

    def consume(self, side: str, price: Decimal, qty: Decimal, now: float) -> None:
        """Remove ``qty`` at ``price`` from the side a taker of ``side`` hits."""
        levels = self.asks if side == "buy" else self.bids
        for lv in levels:
            if lv[0] == price:
                lv[1] -= qty
        levels[:] = [lv for lv in levels if lv[1] > 0]
        self._after_book(now)

    def _after_book(self, now: float) -> None:
        self.book_time = now
        bids, asks = self.book()
        if bids and asks:
            self.spreads.append((int(now), bids[0][0], asks[0][0]))
        self.bus.publish(BookEvent(self.spec.key, self.spec.symbol, bids, asks, now))

    def record_trade(
        self, price: Decimal, qty: Decimal, side: str, ordertype: str, now: float
    ) -> TapeTrade:
        """Print a trade on the tape, update the candle and ticker, publish both."""
        trade = TapeTrade(price, qty, now, "b" if side == "buy" else "s", ordertype[0], 0)
        trade.trade_id = self.next_trade_id
        self.next_trade_id += 1
        self.tape.append(trade)
        self.last = price
        candle = self._candle_at(now, price)
        candle.high = max(candle.high, price)
        candle.low = min(candle.low, price)
        candle.close = price
        candle.value += price * qty
        candle.volume += qty
        candle.count += 1
        self.bus.publish(
            PublicTradeEvent(
                self.spec.key, self.spec.symbol, side, price, qty,
                "market" if ordertype.startswith("m") else "limit", trade.trade_id, now,
            )
        )  # fmt: skip
        self._publish_candle(candle, now)
        self.bus.publish(self.ticker_event(now))
        return trade

    def _candle_at(self, now: float, price: Decimal) -> Candle:
        begin = int(now // 60 * 60)
        if self.candles and self.candles[-1].begin == begin:
            return self.candles[-1]
        if self.candles:
            prev = self.candles[-1]
            # No-trade minutes repeat the previous close with zero volume (Kraken's OHLC rule).
            for t in range(prev.begin + 60, begin, 60)[-CANDLE_KEEP:]:
                self.candles.append(Candle(t, prev.close, prev.close, prev.close, prev.close))
        open_ = self.candles[-1].close if self.candles else price
        candle = Candle(begin, open_, max(open_, price), min(open_, price), price)
        self.candles.append(candle)
        return candle

    def add_history(self, candle: Candle, on_tick: bool = False) -> None:
        """Append a finished historical candle (backfill), its prices put on the tick.

        Sources produce raw prices (replayed candles, a random walk); Kraken's OHLC never
        shows a price off the pair's tick, so neither does the history.
        """
        if not on_tick:
            q = self.quantize_price
            candle.open, candle.high, candle.low = q(candle.open), q(candle.high), q(candle.low)
            candle.close = q(candle.close)
        self.candles.append(candle)
        self.last = candle.close

    def seed_tape(self, price: Decimal, qty: Decimal, when: float) -> None:
        """Put a historical trade on the tape (backfill), without publishing it."""
        side = "b" if self.rng.random() < 0.5 else "s"
        price, qty = self.quantize_price(price), self.quantize_qty(qty)
        self.tape.append(TapeTrade(price, qty, when, side, "l", self.next_trade_id))
        self.next_trade_id += 1

    def _publish_candle(self, c: Candle, now: float) -> None:
        self.bus.publish(
            CandleEvent(
                self.spec.key, self.spec.symbol, c.open, c.high, c.low, c.close, c.vwap,
                c.volume, c.count, float(c.begin), 1, now,
            )
        )  # fmt: skip

    def window(self, now: float, seconds: float) -> list[Candle]:
        """Candles that began within the last ``seconds``."""
        return [c for c in self.candles if c.begin > now - seconds - 60]

    def stats(self, now: float) -> dict[str, Decimal | int]:
        """24 h and today's statistics for Ticker (from candles)."""
        day = [c for c in self.window(now, 86400) if c.volume or c.count]
        today0 = now // 86400 * 86400
        today = [c for c in day if c.begin >= today0]
        out: dict[str, Decimal | int] = {}
        for tag, rows in (("today", today), ("day", day)):
            vol = sum((c.volume for c in rows), Decimal(0))
            value = sum((c.value for c in rows), Decimal(0))
            out[f"v_{tag}"] = vol
            out[f"p_{tag}"] = value / vol if vol else self.last
            out[f"t_{tag}"] = sum(c.count for c in rows)
            out[f"l_{tag}"] = min((c.low for c in rows), default=self.last)
            out[f"h_{tag}"] = max((c.high for c in rows), default=self.last)
        all_day = self.window(now, 86400)
        out["open_today"] = next((c.open for c in all_day if c.begin >= today0), self.last)
        out["open_day"] = all_day[0].open if all_day else self.last
        return out

    def ticker_event(self, now: float) -> TickerEvent:
        """Current ticker as an event."""
        s = self.stats(now)
        bids, asks = self.book()
        bid = bids[0] if bids else (self.last, Decimal(0))
        ask = asks[0] if asks else (self.last, Decimal(0))
        open_day = Decimal(s["open_day"])
        change = self.last - open_day
        pct = (change / open_day * 100).quantize(Decimal("0.01")) if open_day else Decimal(0)
        return TickerEvent(
            self.spec.key, self.spec.symbol, bid[0], bid[1], ask[0], ask[1], self.last,
            Decimal(s["v_day"]), Decimal(s["p_day"]), Decimal(s["l_day"]), Decimal(s["h_day"]),
            change, pct, now,
        )  # fmt: skip


def _merge(levels: list[Level], own: dict[Decimal, Decimal]) -> list[Level]:
    """Market levels plus resting orders' volume at the same or other prices."""
    out = dict(levels)
    for price, qty in own.items():
        out[price] = out.get(price, Decimal(0)) + qty
    return list(out.items())
