"""Helpers for trading-runtime tests of every kind: a start time, candles, a candle source."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from src.core.market_data import Candle

START = datetime(2024, 1, 1, tzinfo=UTC)


class ListCandles:
    """A CandleSource over a fixed list, releasing candles as a test advances it."""

    def __init__(self, candles: Sequence[Candle], released: int = 0) -> None:
        self.candles = list(candles)
        self.released = released

    async def fetch_candles(
        self, symbol: str, interval_minutes: int, since: datetime | None = None
    ) -> list[Candle]:
        return [
            c
            for c in self.candles[: self.released]
            if c.symbol == symbol and (since is None or c.timestamp >= since)
        ]


def make_candles(
    symbol: str, closes: Sequence[float | int], start: datetime = START
) -> list[Candle]:
    out = []
    for i, close in enumerate(closes):
        price = Decimal(str(close))
        out.append(
            Candle(
                symbol=symbol,
                interval_minutes=1,
                timestamp=start + timedelta(minutes=i),
                open=price,
                high=price,
                low=price,
                close=price,
                volume=Decimal(1),
            )
        )
    return out
