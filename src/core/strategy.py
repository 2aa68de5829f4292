"""The Strategy protocol and a plain moving-average-cross rule strategy.

A strategy sees closed candles and answers with target weights. It knows nothing of brokers,
orders or whether it runs in a backtest, on paper or live: the runtime does the rest.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol, runtime_checkable

from src.core.market_data import Candle
from src.core.sizing import Target


@runtime_checkable
class Strategy(Protocol):
    """Turns closed candles into target positions.

    Attributes:
        symbols: pairs it trades ("BTC/USD").
        interval_minutes: candle interval it expects.
        warmup_candles: closed candles it needs before its first meaningful target.
    """

    @property
    def symbols(self) -> Sequence[str]:
        """Return the pairs this strategy trades."""
        ...

    @property
    def interval_minutes(self) -> int:
        """Return the candle interval, in minutes, that ``on_candle`` expects."""
        ...

    @property
    def warmup_candles(self) -> int:
        """Return how many closed candles per symbol to feed before trusting the targets."""
        ...

    def on_candle(self, candle: Candle) -> list[Target]:
        """Take one closed candle (oldest first per symbol); return targets (maybe none)."""
        ...


class MovingAverageCross:
    """Long (weight 1) while the fast simple moving average of closes is above the slow one.

    Flat (weight 0) otherwise, and flat until ``slow`` candles have been seen. Spot only: it
    never asks to be short.

    Args:
        symbols: pairs to trade.
        fast: fast window in candles.
        slow: slow window in candles (greater than ``fast``).
        interval_minutes: candle interval.
    """

    def __init__(
        self, symbols: Sequence[str], fast: int = 5, slow: int = 20, interval_minutes: int = 1
    ) -> None:
        if not 0 < fast < slow:
            raise ValueError(f"fast/slow: need 0 < fast < slow, got fast={fast}, slow={slow}")
        self.symbols: Sequence[str] = list(symbols)
        self.fast, self.slow = fast, slow
        self.interval_minutes = interval_minutes
        self.warmup_candles = slow
        self._closes: dict[str, deque[Decimal]] = {s: deque(maxlen=slow) for s in self.symbols}

    def on_candle(self, candle: Candle) -> list[Target]:
        """Return this pair's target: 1 while the fast average is above the slow, else 0.

        Candles of pairs not in ``symbols`` are ignored (empty list); until ``slow`` closes
        have been seen the target is flat.
        """
        closes = self._closes.get(candle.symbol)
        if closes is None:
            return []
        closes.append(candle.close)
        if len(closes) < self.slow:
            return [Target(candle.symbol, Decimal(0))]
        fast = sum(list(closes)[-self.fast :], Decimal(0)) / self.fast
        slow = sum(closes, Decimal(0)) / self.slow
        return [Target(candle.symbol, Decimal(1) if fast > slow else Decimal(0))]
