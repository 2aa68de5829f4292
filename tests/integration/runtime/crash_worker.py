"""Subprocess used by the crash test: runs the runtime against a paper exchange URL until killed."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from src.app.clocks import ScaledClock
from src.app.session import SessionSettings, Venue, build_runtime
from src.brokers.kraken.limits.counters import KrakenRateLimits
from src.brokers.kraken_adapter import KrakenAdapter
from src.core.market_data import Candle
from src.core.order_outcome import LostReplyPolicy
from src.core.risk import RiskLimits
from src.core.sizing import Target


class Alternating:
    """Flips between fully invested and flat on every candle: an order per candle per pair."""

    def __init__(self, symbols: list[str]) -> None:
        self.symbols = symbols
        self.interval_minutes = 60
        self.warmup_candles = 1
        self._n = 0

    def on_candle(self, candle: Candle) -> list[Target]:
        self._n += 1
        return [Target(candle.symbol, Decimal(self._n // 2 % 2))]


class CrashingEngine:
    """Delegates to the adapter but kills this process around the ``nth`` order submission."""

    def __init__(self, inner: KrakenAdapter, point: str, nth: int) -> None:
        self.inner, self.point, self.nth, self.count = inner, point, nth, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def submit_orders(self, orders: Sequence[Any]) -> Any:
        self.count += 1
        if self.point == "before_send" and self.count == self.nth:
            os.kill(os.getpid(), signal.SIGKILL)  # stored PENDING, never sent
        acks = await self.inner.submit_orders(orders)
        if self.point == "after_send" and self.count == self.nth:
            os.kill(os.getpid(), signal.SIGKILL)  # on the exchange, answer never stored
        return acks


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--url")
    p.add_argument("--ws-auth-url")  # the runtime streams fills: never Kraken's real socket
    p.add_argument("--key")
    p.add_argument("--secret")
    p.add_argument("--db", type=Path)
    p.add_argument("--speed", type=float)
    p.add_argument("--duration", type=float, default=None)
    p.add_argument("--crash", choices=["before_send", "after_send"], default=None)
    p.add_argument("--crash-nth", type=int, default=2)
    args = p.parse_args()
    clock = ScaledClock(args.speed)
    gate = KrakenRateLimits("pro", clock=clock)
    adapter = KrakenAdapter(
        api_key=args.key,
        api_secret=args.secret,
        base_url=args.url,
        ws_auth_url=args.ws_auth_url,
        gate=gate,
        order_transport="rest",  # as paper_venue on replay: WS tokens age on the scaled clock
    )
    async with adapter:
        venue = Venue(adapter, None, clock, "paper")
        limits = RiskLimits(kill_file=None, max_orders_per_minute=1000, max_drawdown_pct=Decimal(0))
        settings = SessionSettings(
            db_path=args.db, limits=limits, capital_per_pair=Decimal(100), poll_seconds=0.05,
            reconcile_seconds=1.0, status_seconds=1.0,
        )  # fmt: skip
        runtime = build_runtime(venue, Alternating(["BTC/USD", "ETH/USD"]), settings)
        runtime.oms.lost_reply = LostReplyPolicy(grace_seconds=1)
        if args.crash:
            runtime.oms.engine = CrashingEngine(adapter, args.crash, args.crash_nth)
        print("READY", flush=True)
        await runtime.run(args.duration)
        print("DONE", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
