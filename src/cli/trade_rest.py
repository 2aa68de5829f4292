"""Kraken's public REST ``Trades`` as a :class:`~src.ml.data.trades.TradeSource`.

The candle store pages any trade source (``src/ml/data`` imports no broker); this is the one
``ktrade download --trades`` gives it: one ``Trades`` call per page (1000 prints), through the
adapter so every call is rate-limited and retried like the rest.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from src.brokers.kraken.adapter import KrakenAdapter
from src.core.market_data import PublicTrade

#: Kraken's ``Trades`` returns at most this many prints per call (its documented maximum).
PAGE = 1000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _ns(moment: datetime) -> int:
    """``moment`` as Kraken's nanosecond cursor (exact: no float in between)."""
    delta = moment.astimezone(UTC) - _EPOCH
    return (delta // timedelta(microseconds=1)) * 1000


def parse_trade(row: list[Any], symbol: str) -> PublicTrade:
    """One ``Trades`` row ``[price, volume, time, b|s, m|l, misc, trade_id]``."""
    seconds = Decimal(str(row[2]))  # a JSON number with 4 decimals: via str, not float maths
    return PublicTrade(
        symbol=symbol,
        price=Decimal(str(row[0])),
        quantity=Decimal(str(row[1])),
        side="buy" if str(row[3]).lower().startswith("b") else "sell",
        timestamp=_EPOCH + timedelta(microseconds=int(seconds * 1_000_000)),
        trade_id=str(row[6]) if len(row) > 6 and row[6] not in (None, "") else None,
    )


class KrakenTrades:
    """``fetch_trades(symbol, since)``: one page of prints at or after ``since``, oldest first."""

    def __init__(self, adapter: KrakenAdapter) -> None:
        """Page through ``adapter`` (open; its AssetPairs resolves the names)."""
        self._adapter = adapter

    async def fetch_trades(self, symbol: str, since: datetime | None = None) -> list[PublicTrade]:
        """Trades at or after ``since`` (Kraken's cursor is exclusive: ask from 1 ns before)."""
        info = (await self._adapter.load_symbols()).resolve(symbol)
        cursor = None if since is None else _ns(since) - 1
        result = await self._adapter.get_recent_trades(info.key, since=cursor, count=PAGE)
        rows: Any = next((v for k, v in result.items() if k != "last"), [])
        return [parse_trade(row, info.instrument.symbol) for row in rows]
