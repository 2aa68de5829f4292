"""A strategy that trades often, and a mix of market and limit orders, for the soak.

Both are deterministic functions of (seed, pair, candle time), so a restarted worker picks up
the same decisions where the killed one left off, with no state to restore.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from decimal import Decimal

from src.core.market_data import Candle
from src.core.order_state import ManagedOrder
from src.core.runtime import TradingRuntime
from src.core.sizing import Target

#: Target weights the churn strategy moves between (0 -> flat, 1 -> the pair's capital).
WEIGHTS = (Decimal(0), Decimal("0.5"), Decimal(1))


def _draw(*parts: object) -> float:
    """A uniform number in [0, 1) from the parts (stable across processes, unlike hash())."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class ChurnStrategy:
    """On every closed candle, a target weight drawn from ``WEIGHTS``: about 2 in 3 candles trade.

    Args:
        symbols: pairs to trade.
        seed: seeds the draws.
        interval_minutes: candle interval.
    """

    def __init__(self, symbols: Sequence[str], seed: int, interval_minutes: int) -> None:
        self.symbols: Sequence[str] = list(symbols)
        self.seed, self.interval_minutes = seed, interval_minutes
        self.warmup_candles = 1

    def on_candle(self, candle: Candle) -> list[Target]:
        """The drawn weight for this candle's pair."""
        if candle.symbol not in self.symbols:
            return []
        draw = _draw(self.seed, "weight", candle.symbol, candle.timestamp.isoformat())
        return [Target(candle.symbol, WEIGHTS[int(draw * len(WEIGHTS))])]


class OrderMix:
    """Per candle, market or limit orders: sets the runtime's ``limit_offset_bps`` before sizing.

    A positive offset is a marketable limit (capped slippage), a negative one rests in the book
    until the tape trades through it. This is the one place the soak reaches into the runtime:
    the example builds one order type per session, the soak wants both in one run.

    Args:
        seed: seeds the draws.
        limit_share: fraction of candles whose orders are limits.
        offsets: the limit offsets (bps) drawn from, evenly.
    """

    def __init__(
        self,
        seed: int,
        limit_share: float = 0.5,
        offsets: tuple[Decimal, ...] = (Decimal(8), Decimal(-12), Decimal(-25)),
    ) -> None:
        self.seed, self.limit_share, self.offsets = seed, limit_share, offsets

    def offset(self, candle: Candle) -> Decimal | None:
        """The offset for this candle's orders (None: market orders)."""
        key = (self.seed, candle.symbol, candle.timestamp.isoformat())
        if _draw(*key, "kind") >= self.limit_share:
            return None
        return self.offsets[int(_draw(*key, "offset") * len(self.offsets))]

    def install(self, runtime: TradingRuntime) -> None:
        """Wrap ``runtime.on_candle`` so each candle's orders get their drawn type."""
        original: Callable[[Candle], Awaitable[list[ManagedOrder]]] = runtime.on_candle

        async def on_candle(candle: Candle) -> list[ManagedOrder]:
            sizing = replace(runtime.config.sizing, limit_offset_bps=self.offset(candle))
            runtime.config = replace(runtime.config, sizing=sizing)
            return await original(candle)

        runtime.on_candle = on_candle  # type: ignore[method-assign]
