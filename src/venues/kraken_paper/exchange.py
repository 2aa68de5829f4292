"""``PaperExchange``: the in-process Kraken-compatible exchange (server, market loop, state)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import time
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from src.core.clock import Clock, ScaledClock, SystemClock
from src.core.decimals import to_decimal
from src.venues.kraken_paper.accounts import DEFAULT_BALANCES, Account
from src.venues.kraken_paper.auth import PERMISSIONS, KeyStore
from src.venues.kraken_paper.events import EventBus, StatusEvent
from src.venues.kraken_paper.faults import FaultConfig
from src.venues.kraken_paper.market import Candle, PairMarket
from src.venues.kraken_paper.market_registry import Markets
from src.venues.kraken_paper.matching import Engine
from src.venues.kraken_paper.mirror import MirrorSource
from src.venues.kraken_paper.own_book import shrink_ahead
from src.venues.kraken_paper.pairs import ORIGINAL, PAIRS, resolve_asset, resolve_pair
from src.venues.kraken_paper.ratelimit import TIERS, RateLimits
from src.venues.kraken_paper.rest import add_rest_routes, kraken_shaped_errors
from src.venues.kraken_paper.service import ExchangeService
from src.venues.kraken_paper.sources import MarketSource, ReplaySource, SyntheticSource, Tick
from src.venues.kraken_paper.store import SCHEMA_VERSION, Store

log = logging.getLogger(__name__)
DEMO_ACCOUNT = "demo"
BACKFILL_MINUTES = 720
# Real seconds of clock time committed ahead of the clock: a restart resumes at the lease's
# end, never before a time already shown, at the price of a jump forward of at most this.
CLOCK_LEASE_S = 2.0


def create_app(exchange: PaperExchange) -> web.Application:
    """Build the aiohttp app: REST routes, plus WS v2 routes when ``ws_server`` is present."""
    app = web.Application(client_max_size=1024**2, middlewares=[kraken_shaped_errors])
    add_rest_routes(app, exchange)
    try:
        from src.venues.kraken_paper import ws_server
    except ImportError:
        log.info("paper exchange: no ws_server module, WebSocket v2 not mounted")
    else:
        ws_server.mount(app, exchange)
    return app


class PaperExchange:
    """A local Kraken-compatible spot exchange on 127.0.0.1 (port chosen by the OS).

    Args:
        market: ``"replay"`` (real Kraken candles), ``"synthetic"`` (seeded process) or
            ``"mirror"`` (public data of ``upstream``).
        speed: Market time per real second in replay/synthetic mode.
        seed: Seed of the synthetic process and book shapes.
        tier: Rate-limit tier: starter, intermediate or pro.
        faults: Fault injection knobs (changeable while running).
        db_path: SQLite file keeping state across restarts (None = in memory only).
        initial_balances: Demo account balances (asset -> amount); defaults to 10000 USD,
            0.5 BTC, 5 ETH, some SOL, XRP, DOGE.
        api_key: Demo key (fresh if None). api_secret: its base64 secret.
        host: Bind address. port: Bind port (0 = any free one).
        upstream: Base URL for ``market="mirror"``.
        clock: Time source (``ManualClock`` in tests); its time is not saved in ``db_path``.
        clock_speed: Without ``clock``: the exchange clock runs this many times real time
            (1 = the real clock). With ``db_path`` its time is saved and a restart resumes
            from it (also at 1, if the saved time is ahead of the real one).
        tick_interval: Real seconds between market steps (``auto_tick``).
        auto_tick: Run the market loop; tests may drive it with ``step``/``drive`` instead.
        rate_limits: Enforce Kraken's rate limits.
        reset: Wipe the SQLite state first.
    """

    def __init__(
        self, market: str = "replay", speed: float = 60.0, seed: int = 1, tier: str = "starter",
        faults: FaultConfig | None = None, db_path: str | Path | None = None,
        initial_balances: dict[str, Any] | None = None, *, api_key: str | None = None,
        api_secret: str | None = None, host: str = "127.0.0.1", port: int = 0,
        upstream: str = "https://api.kraken.com", clock: Clock | None = None,
        tick_interval: float = 0.25, auto_tick: bool = True, rate_limits: bool = True,
        reset: bool = False, clock_speed: float = 1.0,
    ) -> None:  # fmt: skip
        if market not in ("replay", "synthetic", "mirror"):
            raise ValueError("market must be replay, synthetic or mirror")
        if tier not in TIERS:
            raise ValueError(f"tier must be one of {sorted(TIERS)}")
        if clock_speed <= 0 or (clock is not None and clock_speed != 1):
            raise ValueError("clock_speed must be positive, and not given with clock")
        self.market_mode, self.speed, self.seed = market, speed, seed
        self.host, self.port = host, port
        self.store = Store(db_path, reset=reset) if db_path else None
        # The exchange saves (and resumes) only a clock it made itself.
        self._time_ceiling = -math.inf if self.store and clock is None else math.inf
        self._lease = CLOCK_LEASE_S * clock_speed
        self.clock: Clock = clock or self._resumed_clock(clock_speed)
        self.faults = faults or FaultConfig()
        self.tick_interval, self.auto_tick = tick_interval, auto_tick
        self.bus = EventBus()
        rng = random.Random(seed)
        self.markets = Markets(self._make_market, on_drop=self._market_dropped)
        for key in ORIGINAL:  # built now, seeded in their historic order; others on first use
            self.markets[key] = PairMarket(PAIRS[key], self.bus, random.Random(rng.random()))
        self._saved_trade_ids: dict[str, int] = {}
        self.engine = Engine(self.bus, self.markets, self.now)
        self.service = ExchangeService(
            self.engine, RateLimits(TIERS[tier], enabled=rate_limits), self.clock.monotonic
        )
        self.keys = KeyStore()
        self.source: MarketSource = (
            MirrorSource(upstream) if market == "mirror"
            else ReplaySource(seed=seed) if market == "replay" else SyntheticSource(seed=seed)
        )  # fmt: skip
        self._init_state(initial_balances, api_key, api_secret)
        self._runner: web.AppRunner | None = None
        self._task: asyncio.Task[None] | None = None
        self.rest_url = self.ws_url = self.ws_auth_url = ""

    def _init_state(
        self, balances: dict[str, Any] | None, key: str | None, secret: str | None
    ) -> None:
        loaded = self.store.load(self.engine, self.keys) if self.store else None
        if DEMO_ACCOUNT not in self.engine.accounts:
            self.create_account(balances, DEMO_ACCOUNT)
        demo = next((k for k in self.keys.keys.values() if k.account_id == DEMO_ACCOUNT), None)
        if (key and (demo is None or demo.key != key)) or demo is None:
            demo = self.keys.create(DEMO_ACCOUNT, PERMISSIONS, key, secret)
        self.api_key, self.api_secret = demo.key, demo.secret
        if loaded:
            self.service.dead_man = {k: float(v) for k, v in loaded.get("dead_man", {}).items()}
            self._restore_market(loaded.get("market") or {})
        self.persist()  # a new demo account or key is on disk before anyone is told of it

    def _resumed_clock(self, speed: float) -> Clock:
        """The real clock, or a scaled one starting at the saved time (never before it)."""
        saved: dict[str, Any] = (self.store.meta("clock") if self.store else None) or {}
        resume = float(saved["resume_at"]) if "resume_at" in saved else None
        # A real clock never shows a time after today's, so after one the real clock is right;
        # after a scaled one, only if the simulated calendar is not ahead of today's.
        if speed == 1 and (resume is None or saved.get("real") or resume <= time.time()):
            return SystemClock()
        start = datetime.fromtimestamp(resume, UTC) if resume is not None else None
        if start is not None:
            log.info("paper exchange: clock resumes at %s (%gx real time)", start, speed)
        return ScaledClock(speed, start)

    def _restore_market(self, saved: dict[str, Any]) -> None:
        """Continue the market where it was: source position and public trade ids."""
        if saved.get("mode") != self.market_mode:
            if saved:
                log.info("paper exchange: market mode changed, the market starts afresh")
            return
        self.source.restore(saved.get("source") or {})
        for key, next_id in (saved.get("trade_ids") or {}).items():
            if key in self.markets:  # trade ids never repeat across a restart
                market = self.markets[key]
                market.next_trade_id = max(market.next_trade_id, int(next_id))
            elif key in PAIRS:  # applied when that pair's market is built
                self._saved_trade_ids[key] = int(next_id)

    def _market_state(self) -> dict[str, Any]:
        ids = {**self._saved_trade_ids, **{k: m.next_trade_id for k, m in self.markets.items()}}
        return {"mode": self.market_mode, "source": self.source.state(), "trade_ids": ids}

    def _make_market(self, key: str) -> PairMarket:
        """Build a pair's market on first use: its history, tape and book, as at start."""
        market = PairMarket(PAIRS[key], self.bus, random.Random(f"{self.seed}/{key}"))
        market.next_trade_id = max(market.next_trade_id, self._saved_trade_ids.pop(key, 1))
        now = self.now()
        history = self.source.backfill_one(key, now, BACKFILL_MINUTES)
        self._load_history(market, history, now, on_tick=True)  # built on the tick
        log.info("paper exchange: %s market built (%s)", key, self.source.label(key))
        return market

    def _market_dropped(self, key: str, market: PairMarket) -> None:
        # A rebuilt market goes on from the trade id it reached: ids never repeat.
        self._saved_trade_ids[key] = market.next_trade_id
        log.info("paper exchange: %s market dropped (idle)", key)

    def _load_history(
        self, market: PairMarket, candles: list[Candle], now: float, on_tick: bool = False
    ) -> None:
        for c in candles:
            market.add_history(c, on_tick)
        for c in candles[-50:]:
            market.seed_tape(c.close, market.spec.typical_trade, float(c.begin + 59))
        if candles:
            market.synthesize_book(market.quantize_price(candles[-1].close), now)

    def market_label(self, pair: str) -> str:
        """Where a pair's prices come from.

        ``replay`` (real Kraken candles), ``derived`` (ETH/BTC from two replays),
        ``synthetic`` (a seeded walk) or ``mirror``.
        """
        return self.source.label(resolve_pair(pair).key)

    # ----- accounts and keys -------------------------------------------------------------------
    def now(self) -> float:
        """Exchange wall time, epoch seconds.

        With a saved clock, a time past the committed lease first extends it on disk, so a
        restart never resumes before a time the exchange has already shown.
        """
        t = self.clock.now().timestamp()
        if t > self._time_ceiling and self.store is not None:
            self._time_ceiling = t + self._lease
            real = isinstance(self.clock, SystemClock)
            self.store.put_meta("clock", {"resume_at": self._time_ceiling, "real": real})
        return t

    def create_account(
        self, balances: dict[str, Any] | None = None, account_id: str | None = None
    ) -> str:
        """Create a funded account (balances keyed by any asset name); returns its id."""
        account_id = account_id or f"acct{len(self.engine.accounts) + 1}"
        if balances is None:
            funds = dict(DEFAULT_BALANCES)
        else:
            funds = {resolve_asset(k).id: to_decimal(v) for k, v in balances.items()}
        self.engine.add_account(Account(account_id, dict(funds), initial=dict(funds)))
        self.persist()
        return account_id

    def create_api_key(
        self, permissions: set[str] | frozenset[str] | None = None, account: str | None = None
    ) -> tuple[str, str]:
        """A new key/secret for ``account`` (default: the demo account) with ``permissions``."""
        account = account or DEMO_ACCOUNT
        if account not in self.engine.accounts:
            self.create_account(None, account)
        key = self.keys.create(account, permissions)
        self.persist()
        return key.key, key.secret

    def validate_token(self, token: str) -> str:
        """Account id of a GetWebSocketsToken token (raises ``ESession:Invalid session``)."""
        return self.keys.validate_token(token, self.now())

    def set_status(self, status: str) -> None:
        """Change the engine status (online, cancel_only, post_only, maintenance)."""
        self.service.status = status
        self.bus.publish(StatusEvent(status, self.now()))

    def persist(self, only_if_changed: bool = False) -> None:
        """Commit what changed to SQLite (no-op without ``db_path``); call before any ack.

        Only changed rows are written (the engine's ``changes``, changed keys and nonces,
        the dead man's switch and the market position), so ``only_if_changed`` no longer
        matters; it stays for callers. If the write fails, the changes stay noted and go
        with the next call.
        """
        self.engine.publish_books(self.now())
        if self.store is not None:
            meta = {"schema": SCHEMA_VERSION, "dead_man": self.service.dead_man,
                    "market": self._market_state()}  # fmt: skip
            self.store.commit(self.engine.changes, self.keys, meta)
        self.engine.changes.clear()

    # ----- market ------------------------------------------------------------------------------
    def apply_tick(self, tick: Tick) -> None:
        """Apply new market data: book, trades (which fill/trigger own orders), timers."""
        now = self.now()
        market = self.markets[tick.pair_key]
        if tick.book is not None:
            market.set_book(*tick.book, now)
            shrink_ahead(self.engine, tick.pair_key)
        for price, qty, side in tick.trades:
            price, qty = market.quantize_price(price), market.quantize_qty(qty)
            if qty <= 0:
                continue
            if tick.book is None:
                market.synthesize_book(price, now)
                shrink_ahead(self.engine, tick.pair_key)
            market.record_trade(price, qty, side, "limit", now)
            self.engine.on_market_trade(tick.pair_key, price, qty, now)

    async def step(self, sim_seconds: float | None = None) -> None:
        """Advance the market once (``sim_seconds`` of market time)."""
        dt = sim_seconds if sim_seconds is not None else self.tick_interval * self.speed
        busy = {o.pair_key for o in self.engine.open_orders()}
        extra = self.markets.extra_steps(dt, busy)
        for tick in await self.source.step(dt, self.now(), extra):
            self.apply_tick(tick)
        self.service.check_timers()
        self.persist(only_if_changed=True)

    def drive(self, pair: str, price: Any, qty: Any = None, side: str | None = None) -> None:
        """Print a market trade at ``price`` now (moves book and last; fills and triggers orders).

        A test and demo hook: deterministic market moves without waiting for the source.
        """
        spec = resolve_pair(pair)
        market = self.markets[spec.key]
        price_d = to_decimal(price)
        qty_d = to_decimal(qty) if qty is not None else spec.typical_trade
        side = side or ("buy" if price_d >= market.last else "sell")
        self.apply_tick(Tick(spec.key, [(price_d, qty_d, side)]))
        self.service.check_timers()
        self.persist()

    async def _backfill(self) -> None:
        history = await self.source.backfill(self.now(), BACKFILL_MINUTES)
        now = self.now()
        for key, candles in history.items():
            self._load_history(self.markets[key], candles, now)
        for order in self.engine.open_orders():  # restored orders' markets move from the start
            self.markets[order.pair_key]
            self.engine.show_book(order.pair_key)  # and their books show them again
        self.engine.publish_books(now)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.tick_interval)
            try:
                await self.step()
            except Exception:  # an upstream hiccup must not stop the exchange
                log.exception("market step failed")

    # ----- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Backfill the market, bind the server and start the market loop."""
        await self._backfill()
        self._runner = web.AppRunner(create_app(self), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.port = int(port)
        self.rest_url = f"http://{host}:{port}"
        self.ws_url = f"ws://{host}:{port}/ws/v2"
        self.ws_auth_url = f"ws://{host}:{port}/ws-auth/v2"
        if self.auto_tick:
            self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        """Stop the loop and the server, save state."""
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._runner:
            await self._runner.cleanup()
        await self.source.aclose()
        self.persist()
        if self.store:
            self._time_ceiling = math.inf  # the file is closed: no more leases to write
            self.store.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()


__all__ = ["PaperExchange", "create_app"]
