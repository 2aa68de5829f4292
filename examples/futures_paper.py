"""Trade a Kraken Futures perpetual: paper by default, the demo or live venue with credentials.

    python examples/futures_paper.py                      # PAPER: a local futures venue
    KRAKEN_FUTURES_API_KEY=... KRAKEN_FUTURES_API_SECRET=... python examples/futures_paper.py
                                                          # DEMO: demo-futures.kraken.com
    KRAKEN_FUTURES_ENVIRONMENT=live ... python examples/futures_paper.py --live
                                                          # LIVE: real money, typed confirmation

The session takes the side the funding rate pays (short when longs pay, long otherwise),
checks the order against the futures risk limits, arms the dead man's switch, holds the
position for ``--seconds``, then flattens, cancels everything and prints what happened.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from decimal import Decimal

from src.app.operator import confirm_live, print_framed
from src.brokers.kraken_futures import KrakenFuturesAdapter, KrakenFuturesSettings
from src.core.derivatives import DerivativeTicker
from src.core.errors import ConfigurationError, TradingError
from src.core.execution import Order, OrderStatus, Side
from src.core.futures_risk import FuturesExposure, FuturesRiskLimits, check_futures_order

BANNERS = {
    "paper": "PAPER TRADING - local Kraken Futures paper venue - no real money",
    "demo": "DEMO - Kraken Futures demo environment (demo-futures.kraken.com) - no real money",
    "live": "LIVE TRADING - Kraken Futures (futures.kraken.com) - REAL MONEY",
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--symbol", default="PF_XBTUSD", help="perpetual to trade")
    p.add_argument("--size", type=Decimal, default=Decimal("0.001"), help="contracts")
    p.add_argument("--seconds", type=float, default=5.0, help="how long to hold the position")
    p.add_argument("--live", action="store_true", help="allow the live venue (real money)")
    p.add_argument("--yes", action="store_true", help="skip the typed confirmation (--live)")
    return p.parse_args(argv)


@contextlib.asynccontextmanager
async def open_adapter(settings: KrakenFuturesSettings) -> AsyncIterator[KrakenFuturesAdapter]:
    """The adapter for the configured venue, or a local paper venue when no keys are set."""
    if settings.has_credentials:
        async with KrakenFuturesAdapter(settings=settings) as adapter:
            yield adapter
        return
    from src.venues.kraken_futures_paper import FuturesPaperExchange

    async with (
        FuturesPaperExchange(tick_interval=0.5) as venue,
        KrakenFuturesAdapter(
            venue.api_key, venue.api_secret, venue.rest_url, settings=settings
        ) as adapter,
    ):
        yield adapter


def pick_side(ticker: DerivativeTicker) -> Side:
    """Short when longs pay funding (positive rate), long otherwise."""
    return Side.SELL if (ticker.funding_rate or 0) > 0 else Side.BUY


async def session(
    adapter: KrakenFuturesAdapter, args: argparse.Namespace, limits: FuturesRiskLimits
) -> None:
    """Open, hold and close one position; print what the venue reports."""
    instrument = await adapter.get_instrument(args.symbol)
    ticker = await adapter.get_ticker(instrument.symbol)
    margin = (await adapter.get_margin()).get("flex")
    equity = margin.margin_equity if margin is not None else Decimal(0)
    print(f"{instrument.symbol}: mark {ticker.mark_price} index {ticker.index_price} "
          f"funding {ticker.funding_rate} (next {ticker.funding_rate_prediction})")  # fmt: skip
    side = pick_side(ticker)
    exposure = FuturesExposure(
        instrument, Decimal(0), None, ticker.mark_price or Decimal(0), equity,
        funding_rate=ticker.funding_rate,
    )  # fmt: skip
    refusal = check_futures_order(limits, exposure, side, args.size)
    if refusal:
        print(f"risk limits refuse the order: {refusal}")
        return
    await adapter.cancel_all_orders_after(60)  # dead man's switch for the session
    [ack] = await adapter.submit_orders(
        [Order(symbol=instrument.symbol, side=side, quantity=args.size)]
    )
    print(f"{side.value} {args.size} {instrument.symbol}: {ack.status.value} {ack.message or ''}")
    if ack.status is not OrderStatus.FILLED:
        return
    await asyncio.sleep(args.seconds)
    for position in await adapter.get_futures_positions():
        print(f"position {position.symbol} {position.quantity} @ {position.average_price} "
              f"mark {position.mark_price} pnl {position.unrealized_pnl} "
              f"liquidation {position.liquidation_price}")  # fmt: skip
    close = Order(symbol=instrument.symbol, side=Side.BUY if side is Side.SELL else Side.SELL,
                  quantity=args.size, reduce_only=True)  # fmt: skip
    [done] = await adapter.submit_orders([close])
    print(f"closed: {done.status.value}")


async def main(argv: list[str] | None = None) -> int:
    """Run the example; returns the exit status (0 ok, 1 not confirmed, 2 configuration)."""
    args = parse_args(argv)
    try:
        settings = KrakenFuturesSettings()
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    mode = "paper" if not settings.has_credentials else ("live" if settings.is_live else "demo")
    limits = FuturesRiskLimits(allowed_symbols=frozenset({args.symbol.upper()}))
    print_framed(BANNERS[mode])
    if mode == "live" and not (
        args.live and confirm_live(limits, args.yes, heading="Futures risk limits in force:")
    ):
        print("Not confirmed (live needs --live and a typed LIVE); nothing was sent.")
        return 1
    async with open_adapter(settings) as adapter:
        try:
            await session(adapter, args, limits)
        except TradingError as exc:
            print(f"error: {exc}", file=sys.stderr)
        finally:
            print(f"cancelled {await adapter.cancel_all()} open orders")
            await adapter.cancel_all_orders_after(0)
        fills = await adapter.get_fills()
        print(f"{len(fills)} fills, fees {sum((f.fee for f in fills), Decimal(0))}")
    print_framed(BANNERS[mode])
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
