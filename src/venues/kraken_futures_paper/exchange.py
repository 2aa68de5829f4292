"""``FuturesPaperExchange``: a local Kraken-Futures-compatible venue on 127.0.0.1.

REST v3 and WebSocket v1 on one port, Kraken's paths, shapes, signing, errors and limits;
a market per contract (index walk, mark with basis, house quotes), hourly funding, margin,
liquidation and fixed-maturity settlement. See docs/kraken_futures.md for what it models
and what it simplifies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import uuid
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from src.core.clock import Clock, SystemClock
from src.venues.kraken_futures_paper.auth import KeyRing
from src.venues.kraken_futures_paper.candles import Samples, trade_points
from src.venues.kraken_futures_paper.contracts import Contract, default_contracts
from src.venues.kraken_futures_paper.engine import Engine
from src.venues.kraken_futures_paper.faults import FuturesFaults
from src.venues.kraken_futures_paper.lifecycle import Lifecycle
from src.venues.kraken_futures_paper.market import HouseDepth, IndexWalk, MarketState
from src.venues.kraken_futures_paper.orders import OrderRequest
from src.venues.kraken_futures_paper.ratelimit import VenueLimits
from src.venues.kraken_futures_paper.routes import add_routes
from src.venues.kraken_futures_paper.state import Account

__all__ = ["DEFAULT_INDEX", "FuturesPaperExchange"]

log = logging.getLogger(__name__)
D = Decimal
DEFAULT_INDEX = {"XBT": D(60000), "ETH": D(3000)}
DEMO_ACCOUNT = "demo"
STREET = "street"


class FuturesPaperExchange:
    """The venue; ``async with FuturesPaperExchange() as ex:`` serves on ``ex.rest_url``.

    Args:
        seed: seeds the index walks and premia.
        clock: time source (``ManualClock`` in tests).
        index_prices: starting index per base (Kraken codes: ``XBT``, ``ETH``).
        contracts: the listed contracts (default: PF_XBTUSD, PF_ETHUSD, PI_XBTUSD, FF_, FI_).
        flex: the demo account's flex collateral (default 10,000 USD).
        wallets: the demo account's inverse wallets (default 0.5 XBT).
        api_key, api_secret: the demo key (fresh when not given).
        host, port: bind address (port 0: any free port).
        auto_tick: run the market loop every ``tick_interval`` real seconds.
        rate_limits: enforce Kraken's budgets.
        faults: fault knobs.
        house: the house quotes' shape.
        volatility: annualised volatility of the index walks.
        basis_volatility: how much a perpetual's premium moves per step (0: fixed).
        status_window: seconds ``/orders/status`` lists closed orders (Kraken: 5).
    """

    def __init__(
        self, *, seed: int = 1, clock: Clock | None = None,
        index_prices: dict[str, Decimal] | None = None, contracts: list[Contract] | None = None,
        flex: dict[str, Decimal] | None = None, wallets: dict[str, Decimal] | None = None,
        api_key: str | None = None, api_secret: str | None = None, host: str = "127.0.0.1",
        port: int = 0, auto_tick: bool = True, tick_interval: float = 1.0,
        rate_limits: bool = True, faults: FuturesFaults | None = None,
        house: HouseDepth | None = None, volatility: float = 0.6,
        basis_volatility: float = 0.00002, status_window: float = 5.0,
    ) -> None:  # fmt: skip
        self.clock: Clock = clock or SystemClock()
        self.rng = random.Random(seed)
        self.host, self.port = host, port
        self.auto_tick, self.tick_interval = auto_tick, tick_interval
        self.faults = faults or FuturesFaults()
        self.status_window = status_window
        self.basis_volatility = basis_volatility
        prices = {**DEFAULT_INDEX, **(index_prices or {})}
        listed = contracts or default_contracts(self.now())
        self.walks = {
            base: IndexWalk(D(price), volatility, random.Random(self.rng.random()))
            for base, price in prices.items()
        }
        markets = {c.symbol: MarketState(c, self.walks[c.base].price) for c in listed}
        self.engine = Engine(listed, markets, self.now, house)
        self.lifecycle = Lifecycle(self.engine)
        self.lifecycle.start(self.now())
        self.keys = KeyRing()
        self.limits = VenueLimits(self.clock.monotonic, enabled=rate_limits)
        self.marks = {c.symbol: Samples() for c in listed}
        self.spots = {c.symbol: Samples() for c in listed}
        self.engine.accounts[STREET] = Account(STREET)
        self.account_id = self.create_account(flex, wallets, DEMO_ACCOUNT)
        demo = self.keys.create(DEMO_ACCOUNT, api_key, api_secret)
        self.api_key, self.api_secret = demo.key, demo.secret
        self._last_step = self.clock.monotonic()
        self._sample()
        self._runner: web.AppRunner | None = None
        self._task: asyncio.Task[None] | None = None
        self.rest_url = self.ws_url = ""
        self.ws_hub: Any = None

    def now(self) -> datetime:
        """Venue wall time (UTC)."""
        return self.clock.now()

    def create_account(
        self, flex: dict[str, Decimal] | None = None, wallets: dict[str, Decimal] | None = None,
        account_id: str | None = None,
    ) -> str:  # fmt: skip
        """A funded account; returns its id (make a key with ``keys.create``)."""
        account_id = account_id or f"acct{len(self.engine.accounts)}"
        self.engine.accounts[account_id] = Account(
            account_id,
            flex={k: D(v) for k, v in (flex or {"USD": D(10000)}).items()},
            wallets={k: D(v) for k, v in (wallets or {"XBT": D("0.5")}).items()},
        )
        return account_id

    @property
    def demo(self) -> Account:
        """The demo account."""
        return self.engine.accounts[self.account_id]

    # ------------------------------------------------------------------ market
    def _sample(self) -> None:
        now = self.now()
        for symbol, market in self.engine.markets.items():
            self.marks[symbol].add(now, market.mark(now))
            self.spots[symbol].add(now, market.index)

    def chart_points(self, tick_type: str, symbol: str) -> list[tuple[datetime, Decimal, Decimal]]:
        """(time, price, volume) of one chart series."""
        if tick_type == "trade":
            return trade_points(self.engine.markets[symbol].prints)
        series = self.marks if tick_type == "mark" else self.spots
        return [(t, p, D(0)) for t, p in series[symbol].points]

    def book_levels(
        self, symbol: str
    ) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        """Aggregated (price, size) bids and asks: users' orders plus the house."""
        engine = self.engine
        market, contract = engine.markets[symbol], engine.contracts[symbol]
        if not contract.tradeable:
            return [], []
        mark = market.mark(self.now())
        sides = []
        for side in ("buy", "sell"):
            levels = engine.books[symbol].levels(side)
            for price, size in engine.house.quotes(contract, mark, side):
                levels[price] = levels.get(price, D(0)) + size
            sides.append(sorted(levels.items(), reverse=side == "buy"))
        return sides[0], sides[1]

    def set_index(self, base: str, price: Decimal | str | int) -> None:
        """Set the index of ``base`` (``XBT``) and run everything a price move triggers."""
        self.walks[base].price = D(price)
        for market in self.engine.markets.values():
            if market.contract.base == base:
                market.index = D(price)
        self.after_market()

    def set_premium(self, symbol: str, premium: Decimal | str) -> None:
        """Fix a perpetual's premium (mark / index - 1) and re-run the checks."""
        self.engine.markets[symbol].premium = D(premium)
        self.after_market()

    async def step(self) -> None:
        """Advance the market by the clock time since the last step."""
        now = self.clock.monotonic()
        seconds, self._last_step = now - self._last_step, now
        for base, walk in self.walks.items():
            price = walk.advance(seconds)
            for market in self.engine.markets.values():
                if market.contract.base == base:
                    market.index = price
        if self.basis_volatility > 0:
            for market in self.engine.markets.values():
                if market.contract.perpetual:
                    shock = D(
                        repr(self.rng.gauss(0, self.basis_volatility * math.sqrt(max(seconds, 0))))
                    )
                    market.premium = (market.premium * D("0.95") + shock).quantize(D("1e-8"))
        self.after_market()

    def after_market(self) -> None:
        """Triggers, funding, expiry, dead man, liquidations, then tell the feeds."""
        for symbol in self.engine.contracts:
            self.engine.matcher.check_triggers(symbol)
        self.lifecycle.tick()
        self._sample()
        for symbol in self.engine.contracts:
            self.engine.emit("ticker", symbol=symbol)
            self.engine.emit("book", symbol=symbol)

    def after_orders(self) -> None:
        """After an order call: an execution moved ``last``, so last-price triggers may fire."""
        for symbol in self.engine.contracts:
            self.engine.matcher.check_triggers(symbol)
        self.lifecycle.liquidate_breached()

    def drive(self, symbol: str, side: str, qty: Decimal | str, price: Decimal | str) -> Decimal:
        """A market participant ("street") takes ``qty`` at up to ``price`` from users' orders.

        Only resting user orders are hit, never the house: this is how a test makes a
        resting order fill. Returns the quantity that traded.
        """
        street = self.engine.accounts[STREET]
        street.flex["USD"] = D(10) ** 12  # the street's margin is never the constraint
        street.wallets = {b: D(10) ** 6 for b in self.walks}
        matcher, book = self.engine.matcher, self.engine.books[symbol]
        request = OrderRequest("lmt", symbol, side, D(qty), limit_price=D(price))
        order_id = str(uuid.uuid4())
        from src.venues.kraken_futures_paper.state import VenueOrder

        taker = VenueOrder(order_id, None, STREET, symbol, side, "ioc", request.size, D(price),
                           None, self.now(), 0)  # fmt: skip
        traded = D(0)
        other = "sell" if side == "buy" else "buy"
        for maker in book.side(other):
            if taker.unfilled <= 0 or not matcher.crosses(
                taker, maker.limit_price or D(0), D(price)
            ):
                break
            qty_now = min(taker.unfilled, maker.unfilled)
            matcher.execute(taker, maker, maker.limit_price or D(price), qty_now)
            traded += qty_now
        self.after_orders()
        return traded

    # ------------------------------------------------------------------ server
    async def __aenter__(self) -> Self:
        app = web.Application(client_max_size=1024**2)
        add_routes(app, self)
        from src.venues.kraken_futures_paper.ws import mount

        self.ws_hub = mount(app, self)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self.rest_url = f"http://{self.host}:{self.port}"
        self.ws_url = f"ws://{self.host}:{self.port}/ws/v1"
        if self.auto_tick:
            self._task = asyncio.create_task(self._loop())
        return self

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.tick_interval)
            try:
                await self.step()
            except Exception:  # the market must keep running; the error is logged
                log.exception("futures paper: market step failed")

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.ws_hub is not None:
            await self.ws_hub.close()
        if self._runner is not None:
            await self._runner.cleanup()
