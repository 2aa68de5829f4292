"""Build a ready-to-run trading session: venue (paper, mirror or live), adapter, runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from src.app.clocks import ScaledClock
from src.app.rest_budget import GateMemory, reconcile_interval
from src.app.venue import KrakenQuotes, with_order_transport
from src.brokers.kraken.limits.counters import KrakenRateLimits
from src.brokers.kraken.settings import KrakenSettings
from src.brokers.kraken_adapter import KrakenAdapter
from src.core.clock import Clock, SystemClock
from src.core.kill_switch import KillSwitch
from src.core.order_store import OrderStore
from src.core.risk import RiskLimits, RiskManager
from src.core.runtime import Heartbeat, RuntimeConfig, TradingRuntime
from src.core.sizing import SizingConfig
from src.core.strategy import Strategy
from src.core.working_orders import WorkingOrderConfig
from src.venues.kraken_paper import PaperExchange
from src.venues.kraken_paper.sources import ReplaySource


def paper_speed(interval_minutes: int) -> float:
    """Replay speed at which one candle of ``interval_minutes`` closes every real second.

    Faster would hand a 1-minute strategy 60 candles a second: its real-time limits (orders a
    minute, the kill switch's day) would then refuse nearly everything it decides.
    """
    return 60.0 * interval_minutes


#: Paper replay of hourly candles: one hour of recorded market per real second.
PAPER_SPEED = paper_speed(60)


@dataclass
class Venue:
    """An open venue: the adapter the runtime talks to and, on paper, the exchange itself."""

    adapter: KrakenAdapter
    exchange: PaperExchange | None
    exchange_clock: Clock
    mode: str


@asynccontextmanager
async def paper_venue(
    *,
    mirror: bool = False,
    speed: float = PAPER_SPEED,
    seed: int = 1,
    tier: str | None = None,
    db_path: Path | None = None,
    settings: KrakenSettings | None = None,
    replay_start: datetime | None = None,
) -> AsyncIterator[Venue]:
    """Start the local paper exchange in-process and an adapter logged in to its demo account.

    ``replay_start`` (replay mode) is the recorded time the replay begins at, instead of the
    first recorded candle, so a demo can replay data its model never trained on (and prime the
    model with the recorded bars before it). The exchange's clock still starts now, as
    Kraken's would: fills, tokens and timers are stamped in the present.

    Replay mode runs the exchange (and the rate-limit gate modelling it) on a ``ScaledClock``;
    mirror mode follows Kraken's live public prices in real time. The exchange models
    ``tier`` (default ``settings.tier``, i.e. ``KRAKEN_TIER``), so paper rehearses the limits
    the same settings would give on Kraken. The adapter gets the exchange's URLs explicitly:
    a ``KRAKEN_API_URL`` meant for live trading cannot send paper orders elsewhere.
    """
    settings = settings if settings is not None else KrakenSettings()
    tier = tier or settings.tier
    clock: Clock = SystemClock() if mirror else ScaledClock(speed)
    exchange = PaperExchange(
        market="mirror" if mirror else "replay",
        speed=1.0 if mirror else speed,
        seed=seed,
        tier=tier,
        db_path=db_path,
        clock=clock,
        tick_interval=0.25 if mirror else 0.05,
    )
    if replay_start is not None and isinstance(exchange.source, ReplaySource):
        exchange.source.sim_t = replay_start.timestamp()
    async with exchange:
        adapter = _paper_adapter(
            exchange.api_key, exchange.api_secret,
            (exchange.rest_url, exchange.ws_url, exchange.ws_auth_url), clock, tier, settings,
        )  # fmt: skip
        async with adapter:
            yield Venue(adapter, exchange, clock, "mirror" if mirror else "paper")


def _paper_adapter(
    api_key: str,
    api_secret: str,
    urls: tuple[str, str, str],
    clock: Clock,
    tier: str,
    settings: KrakenSettings,
) -> KrakenAdapter:
    """The adapter every paper session uses: the exchange's URLs, its tier, gate on its clock."""
    rest_url, ws_url, ws_auth_url = urls
    adapter = KrakenAdapter(
        api_key=api_key,
        api_secret=api_secret,
        base_url=rest_url,
        ws_url=ws_url,
        ws_auth_url=ws_auth_url,
        gate=KrakenRateLimits(tier, clock=clock),
        settings=settings,
        # The runtime's fill stream opens the private socket, so orders ride it ("auto").
        order_transport="auto",
    )
    # The exchange judges a WS token's 15-minute life on its own clock, and the adapter reuses
    # one token for a minute of real time: on a clock X times faster that is X minutes, so a
    # reconnect would present an expired token. Keep the reuse to a minute of exchange time.
    factor = float(getattr(clock, "factor", 1.0))
    adapter.websocket_token.max_age = min(adapter.websocket_token.max_age, 60.0 / factor)
    return adapter


@asynccontextmanager
async def remote_paper_venue(
    api_key: str,
    api_secret: str,
    urls: tuple[str, str, str],
    *,
    clock: Clock,
    tier: str | None = None,
    settings: KrakenSettings | None = None,
) -> AsyncIterator[Venue]:
    """A paper venue on an exchange running elsewhere (``python -m src.venues.kraken_paper``).

    The adapter is built as ``paper_venue`` builds it; ``urls`` are (REST, WS, WS auth) and
    ``clock`` must run at the exchange's clock speed so the rate-limit gate decays as the
    exchange's counters do. Used by the soak harness, whose exchange lives in its own process.
    """
    settings = settings if settings is not None else KrakenSettings()
    adapter = _paper_adapter(api_key, api_secret, urls, clock, tier or settings.tier, settings)
    async with adapter:
        yield Venue(adapter, None, clock, "paper")


@asynccontextmanager
async def live_venue(
    api_key: str,
    api_secret: str,
    tier: str | None = None,
    *,
    settings: KrakenSettings | None = None,
) -> AsyncIterator[Venue]:
    """An adapter on ``settings.api_url`` (Kraken's by default) with the settings' rate limits.

    ``tier``, when given, overrides ``settings.tier`` (``KRAKEN_TIER``); the gate's mode and
    margins still come from the settings.
    """
    settings = settings if settings is not None else KrakenSettings()
    if tier is not None:
        settings = KrakenSettings(**{**settings.model_dump(), "tier": tier})
    # No gate argument: the adapter builds Kraken's counters from these same settings.
    adapter = KrakenAdapter(api_key=api_key, api_secret=api_secret, settings=settings)
    async with adapter:
        yield Venue(adapter, None, SystemClock(), "live")


@dataclass
class SessionSettings:
    """Everything a session needs besides the venue and strategy."""

    db_path: Path
    limits: RiskLimits = field(default_factory=RiskLimits)
    capital_per_pair: Decimal = Decimal(200)
    poll_seconds: float = 0.25
    status_seconds: float = 5.0
    reconcile_seconds: float = 10.0
    cancel_orphans: bool = False
    #: Real seconds between heartbeats (the dead man's switch re-arms on each).
    heartbeat_seconds: float = 20.0
    #: None sends market orders; bps through the price for limit orders (negative: passive).
    limit_offset_bps: Decimal | None = None
    #: Re-pricing and cancelling of resting limit orders (off by default).
    working_orders: WorkingOrderConfig = field(default_factory=WorkingOrderConfig)


def build_runtime(
    venue: Venue,
    strategy: Strategy,
    settings: SessionSettings,
    *,
    heartbeats: Sequence[Heartbeat] = (),
    status_sink: Callable[[str], None] | None = None,
    clock: Clock | None = None,
) -> TradingRuntime:
    """A TradingRuntime on ``venue`` with the settings' store, limits and timings.

    The reconcile period is stretched to what the venue's REST budget affords, and the
    adapter's rate-limit counters are resumed from the last session's database and saved on
    every heartbeat (``src.app.rest_budget``), so a restart does not spend at once what the
    exchange still counts.
    """
    clock = clock or SystemClock()
    store = OrderStore(settings.db_path)
    memory = GateMemory(venue.adapter.gate, store, unseen_seconds=1.0)
    memory.restore()
    # Gate-clock seconds per runtime second: a replayed paper exchange drains its counters faster.
    factor = (
        1.0 if not isinstance(clock, SystemClock) else getattr(venue.exchange_clock, "factor", 1.0)
    )
    kill_file = Path(settings.limits.kill_file) if settings.limits.kill_file else None
    risk = RiskManager(settings.limits, clock, KillSwitch(kill_file))
    config = RuntimeConfig(
        sizing=SizingConfig(
            capital_per_pair=settings.capital_per_pair, limit_offset_bps=settings.limit_offset_bps
        ),
        poll_seconds=settings.poll_seconds,
        status_seconds=settings.status_seconds,
        reconcile_seconds=reconcile_interval(
            settings.reconcile_seconds, venue.adapter.gate, float(factor)
        ),
        heartbeat_seconds=settings.heartbeat_seconds,
        working_orders=settings.working_orders,
        history_candles=max(strategy.warmup_candles * 2, 60),
    )
    return TradingRuntime(
        venue.adapter,
        strategy,
        store=store,
        risk=risk,
        clock=clock,
        candles=venue.adapter,
        quotes=KrakenQuotes(venue.adapter),
        config=config,
        heartbeats=[*heartbeats, memory],
        status_sink=with_order_transport(status_sink, venue.adapter),
        cancel_orphans=settings.cancel_orphans,
    )
