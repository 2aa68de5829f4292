"""Trade a Kraken Futures perpetual with the trading runtime: paper by default.

    python examples/futures_trading_kraken.py              # PAPER: a local futures venue
    python examples/futures_trading_kraken.py              # DEMO: with KRAKEN_FUTURES_API_KEY
                                                           # and KRAKEN_FUTURES_API_SECRET set
    python examples/futures_trading_kraken.py --live       # LIVE: also with
                                                           # KRAKEN_FUTURES_ENVIRONMENT=live,
                                                           # after a typed LIVE

The same ``TradingRuntime`` as spot: a strategy on 1-minute mark candles goes long or short,
sized by ``--capital`` (a weight of 1 is that much notional), every order checked by the spot
limits and the futures limits (leverage, distance to liquidation, notional per contract,
funding budget), fills, funding and the venue's positions reconciled into the runtime's
database. On paper the venue runs ``--speed`` times faster than real time (one candle a
second and a funding payment a minute at 60). At the end the position is closed (unless
``--keep-position``) and the runtime's books are printed next to the venue's own records.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from src.app.operator import confirm_live, print_framed
from src.brokers.kraken_futures import KrakenFuturesAdapter, KrakenFuturesSettings
from src.core.clock import Clock, ScaledClock, SystemClock
from src.core.derivatives import DerivativeInstrument
from src.core.errors import ConfigurationError, TradingError
from src.core.futures_risk import FuturesRiskLimits
from src.core.instruments import Instrument
from src.core.kill_switch import KillSwitch
from src.core.market_data import Candle
from src.core.order_store import OrderStore
from src.core.risk import RiskLimits, RiskManager
from src.core.runtime import RuntimeConfig, TradingRuntime
from src.core.sizing import SizingConfig, Target
from src.core.strategy import MovingAverageCross

BANNERS = {
    "paper": "PAPER TRADING - local Kraken Futures paper venue - no real money",
    "demo": "DEMO - Kraken Futures demo environment (demo-futures.kraken.com) - no real money",
    "live": "LIVE TRADING - Kraken Futures (futures.kraken.com) - REAL MONEY",
}
ZERO = Decimal(0)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--symbol", default="PF_XBTUSD",
                   help="a perpetual, linear (PF_) or inverse (PI_, booked in BTC), or a "
                        "fixed maturity (FF_/FI_XBTUSD_YYMMDD, settled at expiry)")  # fmt: skip
    p.add_argument("--strategy", choices=("cross", "flip"), default="cross",
                   help="cross: long above the slow mark average, short below; "
                        "flip: long, then short, every --hold candles")  # fmt: skip
    p.add_argument("--hold", type=int, default=3, help="candles per side (flip)")
    p.add_argument("--leverage", type=Decimal, default=Decimal(1), help="target weight size")
    p.add_argument("--capital", type=Decimal, default=Decimal(500), help="USD per weight 1")
    p.add_argument("--duration", type=float, default=60.0, help="real seconds to trade")
    p.add_argument("--speed", type=float, default=60.0, help="paper venue clock speed")
    p.add_argument("--db", type=Path, default=None, help="runtime database")
    p.add_argument("--keep-position", action="store_true", help="do not close at the end")
    p.add_argument("--live", action="store_true", help="allow the live venue (real money)")
    p.add_argument("--yes", action="store_true", help="skip the typed confirmation (--live)")
    return p.parse_args(argv)


class LongShortCross(MovingAverageCross):
    """The moving-average cross made two-sided: ``+leverage`` above, ``-leverage`` below."""

    def __init__(self, symbols: Sequence[str], leverage: Decimal) -> None:
        super().__init__(symbols, fast=3, slow=8)
        self.leverage = leverage

    def on_candle(self, candle: Candle) -> list[Target]:
        """Flat until warm, then long or short."""
        targets = super().on_candle(candle)
        if len(self._closes.get(candle.symbol, ())) < self.slow:
            return targets
        return [Target(t.symbol, self.leverage if t.weight > 0 else -self.leverage)
                for t in targets]  # fmt: skip


class Flip:
    """Long for ``hold`` candles, then short for ``hold``, and so on (a demonstration)."""

    interval_minutes = 1
    warmup_candles = 0

    def __init__(self, symbols: Sequence[str], leverage: Decimal, hold: int) -> None:
        self.symbols, self.leverage, self.hold = list(symbols), leverage, max(1, hold)
        self.seen = 0

    def on_candle(self, candle: Candle) -> list[Target]:
        """The side of this candle's block."""
        self.seen += 1
        side = 1 if (self.seen // self.hold) % 2 == 0 else -1
        return [Target(candle.symbol, self.leverage * side)]


@contextlib.asynccontextmanager
async def open_venue(
    settings: KrakenFuturesSettings, speed: float
) -> AsyncIterator[tuple[KrakenFuturesAdapter, Clock]]:
    """The adapter for the configured venue (and its clock), or a paper venue without keys."""
    if settings.has_credentials:
        async with KrakenFuturesAdapter(settings=settings) as adapter:
            yield adapter, SystemClock()
        return
    from src.venues.kraken_futures_paper import FuturesPaperExchange

    clock = ScaledClock(speed)  # the venue and the runtime share the accelerated calendar
    async with (
        FuturesPaperExchange(clock=clock, tick_interval=0.25, basis_volatility=0.0005) as venue,
        KrakenFuturesAdapter(
            venue.api_key, venue.api_secret, venue.rest_url, settings=settings
        ) as adapter,
    ):
        yield adapter, clock


def build_runtime(
    adapter: KrakenFuturesAdapter, clock: Clock, args: argparse.Namespace, db: Path, scale: float
) -> TradingRuntime:
    """The runtime over the adapter: spot limits sized for futures, then the futures limits."""
    symbol = args.symbol.upper()
    limits = spot_limits(args, scale)
    strategy = (
        Flip([symbol], args.leverage, args.hold)
        if args.strategy == "flip"
        else LongShortCross([symbol], args.leverage)
    )
    heartbeats = [] if scale != 1 else [lambda: adapter.cancel_all_orders_after(60)]
    return TradingRuntime(
        adapter, strategy, store=OrderStore(db), clock=clock, candles=adapter, quotes=adapter,
        risk=RiskManager(limits, clock, KillSwitch(Path(limits.kill_file or "KILL"))),
        config=RuntimeConfig(sizing=SizingConfig(capital_per_pair=args.capital),
                             poll_seconds=0.5 * scale, reconcile_seconds=10 * scale,
                             status_seconds=5 * scale, heartbeat_seconds=20 * scale),
        heartbeats=heartbeats, futures_limits=futures_limits(args),
        status_sink=lambda line: print(f"[status] {line}", flush=True),
    )  # fmt: skip


def spot_limits(args: argparse.Namespace, scale: float) -> RiskLimits:
    """The runtime's own limits (as for spot), sized for a contract that can go short."""
    most = args.capital * args.leverage * 2  # a flip from long to short trades twice the size
    return RiskLimits(
        allowed_pairs=frozenset({args.symbol.upper()}), allow_leverage=True,
        max_order_notional=most, max_position_notional=most, max_gross_exposure=most,
        daily_loss_limit=args.capital / 5,
        # clock seconds: an accelerated paper venue ages its quotes faster
        max_data_age_seconds=180 * max(1.0, scale / 60),
    )  # fmt: skip


def futures_limits(args: argparse.Namespace) -> FuturesRiskLimits:
    """The futures limits for this session (the notional cap follows ``--capital``)."""
    return FuturesRiskLimits(
        allowed_symbols=frozenset({args.symbol.upper()}),
        max_notional_per_contract=max(Decimal(5000), args.capital * args.leverage * 2),
    )


@dataclass(frozen=True)
class Row:
    """One line of the summary: the runtime's figure and the venue's."""

    name: str
    ours: Decimal
    venue: Decimal
    tolerance: Decimal = ZERO
    places: int = 4

    @property
    def agrees(self) -> bool:
        """True within the tolerance."""
        return abs(self.ours - self.venue) <= self.tolerance


async def summary(
    runtime: TradingRuntime, adapter: KrakenFuturesAdapter, start: datetime, balance0: Decimal
) -> list[Row]:
    """The runtime DB's figures next to the venue's own, in the contract's settlement currency.

    That is USD for a linear contract and the base (BTC) for an inverse one, whose PnL, fees
    and funding the venue books in its single-collateral wallet.
    """
    symbol = runtime.strategy.symbols[0].upper()
    currency, places = settlement_of(runtime.instruments[symbol])
    ours = {o.client_order_id for o in runtime.store.orders()}
    fills = [f for f in await adapter.get_fills(start) if f.client_order_id in ours]
    payments = [
        p for p in await adapter.get_funding_payments(start)
        if p.symbol == symbol and p.timestamp > start
    ]  # fmt: skip
    positions = {p.symbol: p for p in await adapter.get_futures_positions()}
    balance = (await adapter.get_account()).get(currency, ZERO)
    book = runtime.portfolio
    position, funding = book.position(symbol), book.funding.get(symbol, ZERO)
    explained = position.realized_pnl - position.fees + funding
    venue_position = positions[symbol].quantity if symbol in positions else ZERO
    # fee rounding of REST-priced fills: a unit of the last place shown, per fill
    per_fill = Decimal(1).scaleb(-places) * (len(fills) + 1)
    return [
        Row("fills", Decimal(len(runtime.store.fills())), Decimal(len(fills)), places=0),
        Row(f"fees ({currency})", position.fees, sum((f.fee for f in fills), ZERO), per_fill,
            places),
        Row(f"funding ({currency})", funding, sum((p.amount for p in payments), ZERO),
            places=places),
        Row(f"position {symbol}", position.quantity, venue_position),
        Row(f"{currency} balance change", explained, balance - balance0, per_fill, places),
    ]  # fmt: skip


def settlement_of(instrument: Instrument) -> tuple[str, int]:
    """The currency a contract's books are kept in, and the decimals to show it with."""
    if not isinstance(instrument, DerivativeInstrument):
        raise ConfigurationError(f"{instrument.symbol} is not a futures contract")
    currency = instrument.settlement_currency
    return currency, 4 if currency == instrument.quote else 8


def print_summary(rows: list[Row], runtime: TradingRuntime) -> None:
    """The table, then the realised PnL and whether everything agreed."""
    print(f"\n{'':24}{'runtime DB':>16}{'venue':>16}")
    for row in rows:
        mark = "ok" if row.agrees else "DIFFERENT"
        ours, venue = (f"{v:.{row.places}f}" for v in (row.ours, row.venue))
        print(f"{row.name:24}{ours:>16}{venue:>16}  {mark}")
    book = runtime.portfolio
    symbol = runtime.strategy.symbols[0].upper()
    currency, places = settlement_of(runtime.instruments[symbol])
    if places == 8:  # an inverse contract's own currency first, then the book's USD totals
        position = book.position(symbol)
        print(f"realized PnL {position.realized_pnl:.{places}f} {currency}, fees "
              f"{position.fees:.{places}f}, funding {book.funding.get(symbol, ZERO):.{places}f}"
              f"; valued at the last mark:")  # fmt: skip
    print(f"realized PnL {book.realized_pnl:.4f} USD, fees {book.fees:.4f}, "
          f"funding {book.funding_pnl:.4f}, net {book.net_pnl:.4f}")  # fmt: skip
    agreed = all(r.agrees for r in rows)
    print("books agree with the venue" if agreed else "!! books differ from the venue")


async def session(args: argparse.Namespace, settings: KrakenFuturesSettings, mode: str) -> None:
    """Open the venue, trade for ``--duration`` seconds, close, print the summary."""
    db = args.db or Path(f"data/runtime/futures_{mode}.sqlite")
    if mode == "paper" and args.db is None:  # the paper venue lives in memory: start fresh
        for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            path.unlink(missing_ok=True)
    async with open_venue(settings, args.speed) as (adapter, clock):
        scale = args.speed if mode == "paper" else 1.0
        runtime = build_runtime(adapter, clock, args, db, scale)
        currency, _ = settlement_of(await adapter.get_instrument(args.symbol.upper()))
        start, balance0 = clock.now(), (await adapter.get_account()).get(currency, ZERO)
        try:
            await runtime.start()
            await runtime.run(args.duration * scale, start=False)
        finally:
            if not args.keep_position:
                await runtime.flatten()
                await asyncio.sleep(0.5)
                await runtime.reconcile()
            if heartbeat_armed := bool(runtime.heartbeats):
                await adapter.cancel_all_orders_after(0)
            print(f"dead man's switch {'disarmed' if heartbeat_armed else 'not armed'}")
        print_summary(await summary(runtime, adapter, start, balance0), runtime)
        runtime.store.close()


async def main(argv: list[str] | None = None) -> int:
    """Run the example; returns the exit status (0 ok, 1 not confirmed, 2 configuration)."""
    args = parse_args(argv)
    try:
        settings = KrakenFuturesSettings()
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    mode = "paper" if not settings.has_credentials else ("live" if settings.is_live else "demo")
    print_framed(BANNERS[mode])
    if mode == "live":
        print("Futures risk limits in force:")
        for line in futures_limits(args).describe():
            print(f"  {line}")
        if not (args.live and confirm_live(spot_limits(args, 1.0), args.yes)):
            print("Not confirmed (live needs --live and a typed LIVE); nothing was sent.")
            return 1
    try:
        await session(args, settings, mode)
    except TradingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print_framed(BANNERS[mode])
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
