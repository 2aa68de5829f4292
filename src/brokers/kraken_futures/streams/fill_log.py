"""Fill identity: which fills a stream has delivered (bounded), and REST fills priced with fees."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

from src.brokers.kraken_futures.orders.fees import FeeBook
from src.brokers.kraken_futures.orders.wire import fill_from_rest
from src.brokers.kraken_futures.rest.parse import dec
from src.brokers.kraken_futures.symbols import InstrumentMap
from src.core.errors import MalformedResponseError
from src.core.execution import Fill, Liquidity

__all__ = ["FillLog", "SeenFills"]


class SeenFills:
    """The last ``capacity`` fill ids delivered; older ones are forgotten first.

    Kraken's ``fill_id`` is a UUID unique per fill, so a fill seen again (a snapshot after a
    reconnect, a REST reconcile overlapping the stream) is recognised and dropped.
    """

    def __init__(self, capacity: int = 20_000) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()

    def add(self, fill_id: str) -> bool:
        """Record ``fill_id``; True if it was new."""
        if fill_id in self._ids:
            return False
        self._ids[fill_id] = None
        if len(self._ids) > self.capacity:
            self._ids.popitem(last=False)
        return True

    def update(self, fill_ids: Iterable[str]) -> None:
        """Record every id as seen (a baseline)."""
        for fill_id in fill_ids:
            self.add(fill_id)

    def __contains__(self, fill_id: object) -> bool:
        return fill_id in self._ids


class FillLog:
    """Prices REST fills, which carry no fee, from the account's fee tier."""

    def price_rest_fill(
        self, row: Mapping[str, Any], instruments: InstrumentMap, fees: FeeBook
    ) -> Fill:
        """One ``fills[]`` row as a ``Fill`` with its fee in the settlement currency."""
        symbol = str(row.get("symbol", ""))
        instrument = instruments.get(symbol)
        try:
            fill_type = str(row.get("fillType", "taker"))
            liquidity = Liquidity.MAKER if fill_type == "maker" else Liquidity.TAKER
            fee = fees.fee(
                instrument, dec(row["size"], "size"), dec(row["price"], "price"), liquidity
            )
        except KeyError as exc:
            raise MalformedResponseError(f"fills: row lacks {exc}") from None
        return fill_from_rest(row, fee, instrument.settlement_currency)
