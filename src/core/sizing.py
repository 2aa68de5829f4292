"""Turn target positions into order intents: sized in quote currency, rounded, above minimums."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import structlog

from src.core.derivatives import DerivativeInstrument, quote_value
from src.core.errors import OrderMinimumError
from src.core.execution import OrderType, Side
from src.core.instruments import Instrument

log = structlog.get_logger(__name__)
ZERO = Decimal(0)


@dataclass(frozen=True)
class Target:
    """What a strategy wants to hold in one pair.

    ``weight`` is the fraction of the pair's capital (quote currency) to hold: 1 is fully
    invested, 0 flat, negative short. A spot pair never goes short (sizing sells at most what
    is held); a futures contract (``DerivativeInstrument``) takes any sign, and a weight above
    1 is leverage (notional over ``capital_per_pair``).
    """

    symbol: str
    weight: Decimal


@dataclass(frozen=True)
class OrderIntent:
    """An order the runtime would like to send, before risk checks.

    ``reference_price`` is the price the decision was made at (the candle close), used for
    notional checks and the price band when the order is a market order.
    """

    symbol: str
    side: Side
    quantity: Decimal
    reference_price: Decimal
    order_type: OrderType = OrderType.MARKET
    limit_price: Decimal | None = None
    reducing: bool = False
    leverage: Decimal | None = None
    #: Futures only: the venue may only shrink the position (flattening).
    reduce_only: bool = False
    reason: str = "target"

    @property
    def price(self) -> Decimal:
        """Return the limit price if there is one, else the reference price."""
        return self.limit_price if self.limit_price is not None else self.reference_price

    @property
    def notional(self) -> Decimal:
        """Return quantity times ``price``: a spot pair's quote value, not a contract's.

        An inverse contract's quantity is already quote units; value any instrument with
        ``src.core.derivatives.quote_value``, as sizing and the risk limits do.
        """
        return self.quantity * self.price

    @property
    def signed_quantity(self) -> Decimal:
        """Return the quantity, positive for a buy and negative for a sell."""
        return self.quantity * self.side.sign


@dataclass(frozen=True)
class SizingConfig:
    """How targets become orders.

    Attributes:
        capital_per_pair: quote-currency amount a weight of 1 stands for.
        limit_offset_bps: None sends market orders; a number sends limit orders this many basis
            points through the reference price: positive gives marketable limits that cap
            slippage, negative passive ones that rest on the book (see ``WorkingOrderConfig``
            in ``src.core.working_orders`` for re-pricing and cancelling them).
        rebalance_threshold: fraction of ``capital_per_pair`` a change must reach before it is
            traded, so a held position is not nibbled at every tick as its price moves. Going
            flat (weight 0) always trades.
    """

    capital_per_pair: Decimal = Decimal(500)
    limit_offset_bps: Decimal | None = None
    rebalance_threshold: Decimal = Decimal("0.25")


def limit_price_for(
    reference: Decimal, side: Side, offset_bps: Decimal, instrument: Instrument
) -> Decimal:
    """The limit price ``offset_bps`` through ``reference`` for ``side``, rounded to the tick.

    A positive offset is marketable (a buy above the reference), a negative one passive (a buy
    below it); rounding never makes the price more aggressive.
    """
    factor = Decimal(1) + side.sign * offset_bps / Decimal(10_000)
    return instrument.round_price(reference * factor, side.value)


def plan_order(
    target: Target,
    *,
    position: Decimal,
    pending: Decimal,
    price: Decimal,
    instrument: Instrument,
    config: SizingConfig,
    pending_sells: Decimal = ZERO,
) -> OrderIntent | None:
    """The one order that moves ``position + pending`` to ``target``, or None if too small.

    Args:
        target: desired weight for the pair.
        position: current quantity held by the bot (base units; contracts for futures).
        pending: signed quantity still working in live orders (counted as if done, so a
            slow fill never causes a second order for the same change).
        price: reference price (last close) in quote currency.
        instrument: rounding and minimums of the pair.
        config: capital and order-type settings.
        pending_sells: the sells among ``pending`` (their quantity, not signed).

    On a spot pair a sell never exceeds ``position - pending_sells``: a resting buy counts
    in ``pending`` as if filled, and selling against it would leave the account short while
    the buy still rests (the soak saw -4.7 SOL with ``cancel_on_flip`` off).
    """
    if price <= 0:
        raise ValueError(f"{target.symbol}: price must be positive, got {price}")
    wanted = target.weight * config.capital_per_pair / quote_value(instrument, Decimal(1), price)
    delta = wanted - (position + pending)
    side = Side.BUY if delta > 0 else Side.SELL
    size = abs(delta)
    if side is Side.SELL and not isinstance(instrument, DerivativeInstrument):
        size = min(size, max(ZERO, position - abs(pending_sells)))
    quantity = instrument.round_quantity(size)
    limit_price: Decimal | None = None
    order_type = OrderType.MARKET
    if config.limit_offset_bps is not None:
        limit_price = limit_price_for(price, side, config.limit_offset_bps, instrument)
        order_type = OrderType.LIMIT
    if quantity == 0:
        return None
    if (
        target.weight != 0
        and quote_value(instrument, quantity, price)
        < config.rebalance_threshold * config.capital_per_pair
    ):
        return None
    try:
        instrument.check_minimums(quantity, limit_price or price)
    except OrderMinimumError as exc:
        log.debug("sizing.below_minimum", symbol=target.symbol, detail=str(exc))
        return None
    reducing = side is Side.SELL and quantity <= position + pending and wanted >= 0
    return OrderIntent(
        symbol=target.symbol,
        side=side,
        quantity=quantity,
        reference_price=price,
        order_type=order_type,
        limit_price=limit_price,
        reducing=reducing,
    )


def plan_orders(
    targets: list[Target],
    *,
    positions: Mapping[str, Decimal],
    pending: Mapping[str, Decimal],
    prices: Mapping[str, Decimal],
    instruments: Mapping[str, Instrument],
    config: SizingConfig,
    pending_sells: Mapping[str, Decimal] | None = None,
) -> list[OrderIntent]:
    """``plan_order`` for each target whose pair has a price and an instrument."""
    intents: list[OrderIntent] = []
    for target in targets:
        if target.symbol not in prices or target.symbol not in instruments:
            log.warning("sizing.skipped", symbol=target.symbol, reason="no price or instrument")
            continue
        intent = plan_order(
            target,
            position=positions.get(target.symbol, Decimal(0)),
            pending=pending.get(target.symbol, Decimal(0)),
            price=prices[target.symbol],
            instrument=instruments[target.symbol],
            config=config,
            pending_sells=(pending_sells or {}).get(target.symbol, ZERO),
        )
        if intent is not None:
            intents.append(intent)
    return intents
