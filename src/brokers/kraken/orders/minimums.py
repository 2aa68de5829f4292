"""Minimum size and cost checks for market orders, priced from the public Ticker.

A market order has no price of its own, so its cost is estimated at the touch: the ask for a
buy, the bid for a sell. If the Ticker cannot be read the order is still sent and Kraken's
``EOrder:Cost minimum not met`` decides (a missing reference price must not block trading).
https://docs.kraken.com/api/docs/rest-api/get-ticker-information
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from src.brokers.kraken.orders.encoding import OrderFields
from src.brokers.kraken.symbols import PairInfo
from src.core.clock import Clock
from src.core.decimals import to_plain_string
from src.core.errors import BrokerError, OrderMinimumError
from src.core.execution import Order, OrderType, Side
from src.core.instruments import Instrument
from src.utils.logging import get_logger

log = get_logger(__name__)
TickerFetch = Callable[[str], Awaitable[Any]]
"""Ticker for one pair (Kraken altname) -> Kraken's ``result`` ``{pair_key: {"a": ..., ...}}``."""

#: How long a ticker read stays good for the minimum check. The check is an estimate at the
#: touch and Kraken enforces costmin anyway, so a few seconds of staleness cannot let a bad
#: order through; not paying a round trip before every market order matters more.
TICKER_TTL_SECONDS = 5.0


class CachedTicker:
    """A TickerFetch that reuses a successful read of the same pair for ``ttl`` seconds."""

    def __init__(self, fetch: TickerFetch, clock: Clock, ttl: float = TICKER_TTL_SECONDS) -> None:
        self._fetch = fetch
        self._clock = clock
        self._ttl = ttl
        self._cache: dict[str, tuple[float, Any]] = {}

    async def __call__(self, pair: str) -> Any:
        """Return Kraken's Ticker ``result`` for ``pair``, reusing a read younger than ``ttl``.

        Args:
            pair: the Kraken altname, e.g. ``XBTUSD``.

        Returns:
            The wrapped fetch's result; only successful reads are cached, so a failed read
            raises and the next call asks Kraken again.
        """
        now = self._clock.monotonic()
        hit = self._cache.get(pair)
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        result = await self._fetch(pair)
        self._cache[pair] = (now, result)
        return result


def needs_reference(order: Order, inst: Instrument) -> bool:
    """True when a market order's minimums can only be checked at a ticker price."""
    if order.order_type is not OrderType.MARKET:
        return False
    if order.notional is not None:  # notional / ask must reach ordermin
        return inst.min_quantity > 0
    return inst.min_cost > 0


def reference_price(ticker: Any, info: PairInfo, side: Side) -> Decimal | None:
    """Ask (buy) or bid (sell) of ``info``'s pair from a Ticker result; None if absent or bad."""
    if not isinstance(ticker, Mapping):
        return None
    row: Any = ticker.get(info.key) or ticker.get(info.altname)
    if row is None and len(ticker) == 1:
        row = next(iter(ticker.values()))
    try:
        price = Decimal(str(row["a" if side is Side.BUY else "b"][0]))
    except (KeyError, IndexError, TypeError, InvalidOperation):
        return None
    return price if price.is_finite() and price > 0 else None


def check_at_reference(order: Order, inst: Instrument, volume: Decimal, price: Decimal) -> None:
    """Refuse a market order whose size or cost, estimated at ``price``, is under the minimum.

    ``volume`` is the rounded base quantity to be sent (ignored for a notional order).

    Raises:
        OrderMinimumError: naming the minimum and saying the figure is a ticker estimate.
    """
    touch = "ask" if order.side is Side.BUY else "bid"
    if order.notional is not None:
        estimate = order.notional / price
        if estimate < inst.min_quantity:
            raise OrderMinimumError(
                f"{inst.symbol}: notional {to_plain_string(order.notional)} {inst.quote} buys "
                f"about {to_plain_string(estimate.quantize(Decimal('1e-8')))} {inst.base} at "
                f"the ticker {touch} {to_plain_string(price)}, below the minimum order size "
                f"{to_plain_string(inst.min_quantity)} {inst.base} (quantity estimated from the "
                "ticker)"
            )
        return
    cost = volume * price
    if inst.min_cost > 0 and cost < inst.min_cost:
        raise OrderMinimumError(
            f"{inst.symbol}: estimated cost {to_plain_string(cost)} {inst.quote} "
            f"({to_plain_string(volume)} x ticker {touch} {to_plain_string(price)}) is below "
            f"the minimum cost {to_plain_string(inst.min_cost)} {inst.quote} (cost estimated "
            "from the ticker)"
        )


async def _ticker(fetch: TickerFetch, info: PairInfo) -> Any:
    try:
        return await fetch(info.altname)
    except BrokerError as error:
        log.warning(
            "kraken.market_minimum_unchecked",
            pair=info.altname,
            reason="ticker unavailable; Kraken will enforce costmin",
            error=str(error),
        )
        return None


async def check_market_orders(
    prepared: Iterable[tuple[Order, PairInfo, OrderFields]], fetch: TickerFetch
) -> None:
    """Check every market order of a batch at the ticker; one Ticker GET per pair.

    Raises:
        OrderMinimumError: the first order under its pair's minimum (nothing has been sent).
    """
    tickers: dict[str, Any] = {}
    for order, info, fields in prepared:
        if not needs_reference(order, info.instrument):
            continue
        if info.key not in tickers:
            tickers[info.key] = await _ticker(fetch, info)
        if tickers[info.key] is None:
            continue
        price = reference_price(tickers[info.key], info, order.side)
        if price is None:
            log.warning(
                "kraken.market_minimum_unchecked",
                pair=info.altname,
                reason="ticker has no usable price; Kraken will enforce costmin",
            )
            continue
        volume = Decimal(0) if fields.cash else fields.volume
        check_at_reference(order, info.instrument, volume, price)
