"""The trading runtime: candle close -> strategy -> order intents -> risk -> OMS -> engine.

One code path for backtest, paper and live: the clock, the engine and the market data source
are injected. The loop polls closed candles and quotes, reconciles periodically, prints a status
line, watches the kill switch, and runs caller-supplied heartbeats (e.g. Kraken's dead man's
switch). Fills and order updates arrive from the engine's streams in the background
(``StreamFeed``); polling after orders and the periodic reconcile cover whatever the streams
miss (see docs/trading_runtime.md).

Futures take the same path: when the engine's instruments are contracts
(``DerivativeInstrument``), orders go through a ``FuturesRiskGate`` (the futures limits) and
the reconcile adds funding, positions and margin (``src.core.futures_account``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import structlog

from src.core import runtime_control
from src.core.clock import Clock
from src.core.errors import BrokerError
from src.core.execution import ExecutionEngine
from src.core.futures_account import FuturesBook, attach_futures
from src.core.futures_gate import FuturesRiskGate
from src.core.futures_risk import FuturesRiskLimits
from src.core.instruments import Instrument
from src.core.market_data import Candle, CandleSource, QuoteSource
from src.core.order_manager import OrderManager, ReconcileReport
from src.core.order_state import ManagedOrder
from src.core.order_store import OrderStore
from src.core.portfolio import Portfolio
from src.core.risk import RiskContext, RiskManager
from src.core.sizing import SizingConfig, plan_orders
from src.core.strategy import Strategy
from src.core.stream_feed import StreamFeed
from src.core.working_orders import WorkingOrderConfig, WorkingOrders

log = structlog.get_logger(__name__)

Heartbeat = Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class RuntimeConfig:
    """Loop timings and sizing (seconds are on the injected clock)."""

    sizing: SizingConfig = field(default_factory=SizingConfig)
    poll_seconds: float = 1.0
    reconcile_seconds: float = 30.0
    status_seconds: float = 10.0
    heartbeat_seconds: float = 20.0
    history_candles: int = 60
    balance_tolerance: Decimal = Decimal("0.0001")
    #: Consume the engine's fill (and order-update) streams; off = poll only, as before.
    stream_events: bool = True
    #: Real seconds before restarting a failed stream; doubles per failure up to the max.
    stream_backoff_seconds: float = 0.5
    stream_backoff_max_seconds: float = 30.0
    #: Least time between two polls that close a stream gap (bounds REST use while a
    #: stream keeps failing, or the account trades outside the bot).
    gap_poll_seconds: float = 1.0
    #: Re-pricing and cancelling of resting limit orders (every feature off by default).
    working_orders: WorkingOrderConfig = field(default_factory=WorkingOrderConfig)


@dataclass
class RuntimeStats:
    """Counters shown in the status line and the final summary."""

    candles: int = 0
    orders_sent: int = 0
    balance_differences: int = 0
    polled_fills: int = 0
    last_reconcile: ReconcileReport | None = None


class TradingRuntime:
    """Drives one strategy against one ``ExecutionEngine``.

    Args:
        engine: the venue (Kraken adapter, paper exchange adapter, ``SimEngine``...).
        strategy: produces targets from closed candles.
        store: the runtime's database (orders, fills, positions).
        risk: limits and the kill switch.
        clock: time source.
        candles: where closed candles come from (often the engine itself).
        quotes: where the current mid comes from; without one, the last close stands in.
        config: timings and sizing.
        heartbeats: coroutines run every ``heartbeat_seconds`` (e.g. re-arm a dead man's switch).
        status_sink: receives each status line (default: the log).
        futures_limits: the futures risk limits, when the instruments are contracts (default
            ``FuturesRiskLimits()``); ignored for spot.
    """

    def __init__(
        self,
        engine: ExecutionEngine,
        strategy: Strategy,
        *,
        store: OrderStore,
        risk: RiskManager,
        clock: Clock,
        candles: CandleSource,
        quotes: QuoteSource | None = None,
        config: RuntimeConfig | None = None,
        heartbeats: Sequence[Heartbeat] = (),
        status_sink: Callable[[str], None] | None = None,
        cancel_orphans: bool = False,
        futures_limits: FuturesRiskLimits | None = None,
    ) -> None:
        self.engine, self.strategy, self.store, self.risk = engine, strategy, store, risk
        self.clock, self.candles, self.quotes = clock, candles, quotes
        self.config = config or RuntimeConfig()
        self.heartbeats = list(heartbeats)
        self.status_sink = status_sink or (lambda line: log.info("status", line=line))
        capital = self.config.sizing.capital_per_pair * len(strategy.symbols)
        self.portfolio = Portfolio(
            store.positions(), _load_decimals(store.get("expected_balances")), capital
        )
        self.oms = OrderManager(engine, store, self.portfolio, clock, cancel_orphans=cancel_orphans)
        self.instruments: dict[str, Instrument] = {}
        self.last_candle: dict[str, datetime] = {}
        self.prices: dict[str, Decimal] = {}
        self.mids: dict[str, Decimal] = {}
        self.data_at: dict[str, float] = {}
        self.stats = RuntimeStats()
        self.working = WorkingOrders(self.oms, self.instruments, self.config.working_orders,
                                     self.config.sizing, risk, self._context)  # fmt: skip
        self.feed = StreamFeed(
            engine,
            self.oms,
            initial_backoff=self.config.stream_backoff_seconds,
            max_backoff=self.config.stream_backoff_max_seconds,
        )
        self._next: dict[str, float] = {}
        self._stop = asyncio.Event()
        self._killed_handled = False
        self.futures_limits = futures_limits or FuturesRiskLimits()
        #: Set by ``start`` when the instruments are futures contracts.
        self.futures: FuturesBook | None = None
        self.futures_gate: FuturesRiskGate | None = None

    async def start(self) -> ReconcileReport:
        """Load instruments, set the balance baseline once, start the streams, reconcile, warm up.

        The streams start before the reconcile, so that a fill made while starting is either
        yielded by them or fetched by it.
        """
        for symbol in self.strategy.symbols:
            self.instruments[symbol] = await self.engine.get_instrument(symbol)
            self.portfolio.register(self.instruments[symbol])
        self._attach_futures()
        if self.store.get("baseline_balances") is None:
            account = await self.engine.get_account()
            baseline = {asset: str(account[asset]) for asset in account}
            self.store.put("baseline_balances", baseline)
            self.store.put("expected_balances", baseline)
            self.portfolio.expected_balances = _load_decimals(baseline)
        self._restore_risk()
        if self.config.stream_events and not self.feed.started:
            self.feed.start()
            await asyncio.sleep(0)  # let the consumers subscribe before anything is sent
        try:
            report = await self.reconcile()
            await self._warm_up()
        except BaseException:
            await self.feed.stop()  # run() never reaches shutdown() when start() fails
            raise
        return report

    def _attach_futures(self) -> None:
        """Contracts among the instruments: orders through the futures limits, futures book."""
        if self.futures is None:
            attached = attach_futures(self.engine, self.instruments, self.portfolio, self.store,
                                      self.futures_limits, self.clock)  # fmt: skip
            if attached is not None:
                self.futures, self.futures_gate = attached
                self.oms.engine = self.futures_gate  # every order (and flatten) is checked
                if not self.risk.limits.allow_leverage:  # RiskLimits would refuse every short
                    log.warning("runtime.futures_without_allow_leverage")

    def _restore_risk(self) -> None:
        saved = self.store.get("risk_state")
        if saved:
            day = datetime.fromisoformat(saved["day"]).date() if saved.get("day") else None
            self.risk.restore(day, _dec(saved.get("day_start")), _dec(saved.get("peak")))

    async def _warm_up(self) -> None:
        for symbol in self.strategy.symbols:
            history = await self.candles.fetch_candles(symbol, self.strategy.interval_minutes)
            for candle in list(history)[-self.config.history_candles :]:
                self.strategy.on_candle(candle)
                self._seen(candle)

    def _seen(self, candle: Candle) -> None:
        self.last_candle[candle.symbol] = candle.timestamp
        self.prices[candle.symbol] = candle.close
        self.portfolio.mark(candle.symbol, candle.close)
        if self.quotes is None:  # without quotes the candle is the freshest data there is
            self.data_at[candle.symbol] = self.clock.monotonic()

    async def reconcile(self) -> ReconcileReport:
        """Reconcile orders and fills, then compare balances (differences are only reported).

        Futures also fetch funding and compare positions and margin (``FuturesBook``).
        """
        mark = self.feed.poll_mark()
        report = await self.oms.reconcile()
        self.feed.polled(mark)
        self.stats.polled_fills += report.new_fills
        self.stats.last_reconcile = report
        self.store.checkpoint()  # here, on the timer, rather than inside an order's path
        explained = None
        if self.futures is not None:  # funding first: it moves the balances too
            report.futures = await self.futures.reconcile()
            explained = self.portfolio.expected_with_funding()
        account = await self.engine.get_account()
        # Venues round each fill's cost to the asset's display precision (Kraken: USD to 4
        # decimals), so allow one unit of that per fill before calling it a difference.
        tolerance = self.config.balance_tolerance * (self.portfolio.trades + 1)
        differences = self.portfolio.reconcile_balances(
            {a: account[a] for a in account}, tolerance, explained
        )
        report.balance_differences = differences
        self.stats.balance_differences = len(differences)
        for diff in differences:
            log.warning(
                "portfolio.balance_difference",
                asset=diff.asset,
                expected=str(diff.expected),
                exchange=str(diff.actual),
                difference=str(diff.difference),
            )
        return report

    async def on_candle(self, candle: Candle) -> list[ManagedOrder]:
        """Handle one closed candle: targets -> intents -> risk -> orders. Returns orders sent."""
        self.stats.candles += 1
        self._seen(candle)
        targets = self.strategy.on_candle(candle)
        await self.working.on_targets(targets, self.prices)  # cancels first, then planning
        blocked = self.oms.unresolved_symbols() | self.working.busy_symbols()
        if self.futures is not None:  # expired contracts: settled by the venue, no new orders
            blocked |= self.futures.closed_symbols()
        targets = [t for t in targets if t.symbol not in blocked]
        intents = plan_orders(
            targets,
            positions=self.portfolio.quantities(),
            pending=self.oms.pending_quantities(),
            pending_sells=self.oms.pending_sells(),
            prices=self.prices,
            instruments=self.instruments,
            config=self.config.sizing,
        )
        sent = []
        for intent in intents:
            if self.risk.check(intent, self._context(intent.symbol)) is None:
                sent.append(await self.oms.submit(intent))
        self.stats.orders_sent += len(sent)
        return sent

    def _context(self, symbol: str) -> RiskContext:
        positions = dict(self.portfolio.quantities())
        for sym, quantity in self.oms.pending_quantities().items():
            positions[sym] = positions.get(sym, Decimal(0)) + quantity
        at = self.data_at.get(symbol)
        quote = self.instruments[symbol].quote if symbol in self.instruments else None
        return RiskContext(
            positions=positions,
            prices=self.prices,
            mid=self.mids.get(symbol, self.prices.get(symbol)),
            data_age_seconds=None if at is None else self.clock.monotonic() - at,
            available_quote=self.portfolio.expected_balances.get(quote) if quote else None,
            instruments=self.instruments,
        )

    async def poll_market(self) -> list[Candle]:
        """Fetch new closed candles (and quotes) for every symbol; return the new candles."""
        fresh: list[Candle] = []
        closed = self.futures.closed_symbols() if self.futures is not None else set()
        for symbol in self.strategy.symbols:
            last = self.last_candle.get(symbol)
            try:
                page = await self.candles.fetch_candles(
                    symbol, self.strategy.interval_minutes, last
                )
                fresh.extend(c for c in page if last is None or c.timestamp > last)
                if self.quotes is not None and symbol not in closed:  # expired: no book
                    quote = await self.quotes.get_quote(symbol)
                    self.mids[symbol] = quote.mid
                    self.data_at[symbol] = self.clock.monotonic()
            except BrokerError as exc:  # data goes stale and the stale-data limit takes over
                log.warning("runtime.market_data_failed", symbol=symbol, error=str(exc))
        return sorted(fresh, key=lambda c: (c.timestamp, c.symbol))

    async def step(self) -> None:
        """One loop iteration: market data, candles, fills, timers, kill switch."""
        sent = []
        candles = await self.poll_market()
        # Heartbeats (the dead man's re-arm) come before anything this step sends: a poll or a
        # reconcile that overran (an exchange outage, retries) may have let the switch lapse,
        # and an order sent before the re-arm would rest unprotected.
        if self._due("heartbeat", self.config.heartbeat_seconds):
            for beat in self.heartbeats:
                await beat()
        for candle in candles:
            sent += await self.on_candle(candle)
        await self._catch_up(bool(sent))
        await self._check_kill()
        await self.working.manage({s: self.mids.get(s, p) for s, p in self.prices.items()})
        if self._due("reconcile", self.config.reconcile_seconds):
            try:
                await self.reconcile()
            except BrokerError as exc:  # try again next period; orders stay as they are
                log.warning("runtime.reconcile_failed", error=str(exc))
        if self._due("status", self.config.status_seconds):
            self.status_sink(self.status_line())

    async def _catch_up(self, sent: bool) -> None:
        """Bring this step's fills in before its risk checks: by stream, else by polling."""
        if self.feed.consuming:
            # One turn of the event loop: events the stream already holds are applied now
            # (an in-process venue such as SimEngine has queued its fills by now, so a
            # backtest stays deterministic).
            await asyncio.sleep(0)
        if sent and not self.feed.streaming:
            await self.poll_fills()
        elif self.feed.gap_open and self._due("gap_poll", self.config.gap_poll_seconds):
            await self.poll_fills()  # the stream restarted or dropped one: fetch the gap

    async def poll_fills(self) -> int:
        """Fetch and apply the venue's recent fills (the safety net); returns how many were new.

        A venue error is logged and left to the next poll or reconcile.
        """
        mark = self.feed.poll_mark()
        try:
            new, _ = await self.oms.sync_fills()
        except BrokerError as exc:
            log.warning("runtime.fill_poll_failed", error=str(exc))
            return 0
        self.feed.polled(mark)
        self.stats.polled_fills += new
        return new

    def _due(self, name: str, every: float) -> bool:
        now = self.clock.monotonic()
        if now >= self._next.get(name, now):
            self._next[name] = now + every
            return True
        return False

    async def _check_kill(self) -> None:
        await runtime_control.check_kill(self)

    async def kill(self) -> None:
        """Cancel all open orders and, if configured, flatten the bot's positions."""
        await runtime_control.kill(self)

    async def flatten(self) -> list[ManagedOrder]:
        """Close the bot's positions at market: spot longs sold, futures closed reduce-only."""
        return await runtime_control.flatten(self)

    def stop(self) -> None:
        """Ask ``run`` to finish after the current step."""
        self._stop.set()

    async def run(self, duration: float | None = None, *, start: bool = True) -> None:
        """Start (unless already started), loop until ``duration`` or ``stop()``, then shut down."""
        if start:
            await self.start()
        end = None if duration is None else self.clock.monotonic() + duration
        try:
            while not self._stop.is_set() and (end is None or self.clock.monotonic() < end):
                await self.step()
                await self.clock.sleep(self.config.poll_seconds)
        finally:
            await self.shutdown()

    async def shutdown(self) -> None:
        """Cancel our open orders, pull the last fills, stop the streams, log the final status."""
        try:
            await self.oms.cancel_open()
            await self.reconcile()
        finally:
            await self.feed.stop()
            self.status_sink(self.status_line())

    def status_line(self) -> str:
        """One line: equity, PnL, positions, open orders, fills, refusals, kill switch."""
        return runtime_control.status_line(self)


def _dec(value: object) -> Decimal | None:
    return None if value in (None, "None") else Decimal(str(value))


def _load_decimals(raw: Mapping[str, str] | None) -> dict[str, Decimal]:
    return {k: Decimal(v) for k, v in (raw or {}).items()}
