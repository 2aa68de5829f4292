"""``/openpositions`` rows -> ``DerivativePosition``, valued at the mark.

Kraken's REST row has side, size, average entry, unrealised funding and, for isolated
margin, ``maxFixedLeverage``; it has no mark, PnL, margin or liquidation price. Those are
computed here from the ticker's mark and the instrument's margin schedule, and the
liquidation price from the account's margin equity, as an estimate: Kraken's own formula is
not public, and with several positions in one account each one's estimate holds the others
at today's mark. The WebSocket ``open_positions`` feed carries Kraken's own figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from src.brokers.kraken_futures.rest.parse import dec, opt_dec
from src.core.derivatives import DerivativeInstrument, DerivativePosition
from src.core.errors import MalformedResponseError

__all__ = ["position_from_row"]


def position_from_row(
    row: Mapping[str, Any],
    instrument: DerivativeInstrument,
    mark: Decimal | None,
    equity: Decimal | None,
) -> DerivativePosition:
    """One position, valued at ``mark`` when known.

    Args:
        row: the ``openPositions[]`` row.
        instrument: its contract.
        mark: the ticker's ``markPrice`` (None: only the row's own fields are filled).
        equity: the margin equity backing it (settlement currency), for the liquidation
            estimate.
    """
    try:
        size = dec(row["size"], "size")
        entry = dec(row["price"], "price")
        side = str(row["side"]).lower()
    except KeyError as exc:
        raise MalformedResponseError(f"openpositions: row lacks {exc}") from None
    if side not in ("long", "short"):
        raise MalformedResponseError(f"openpositions: unknown side {side!r}")
    quantity = size if side == "long" else -size
    funding = opt_dec(row.get("unrealizedFunding"), "unrealizedFunding")
    fixed = opt_dec(row.get("maxFixedLeverage"), "maxFixedLeverage")
    figures: dict[str, Any] = {}
    if mark is not None and instrument.margin_tiers:
        pnl = instrument.pnl(quantity, entry, mark)
        tier = instrument.tier(quantity, mark)
        value = instrument.settlement_value(quantity, mark)
        figures = {
            "unrealized_pnl": pnl,
            "initial_margin": value * tier.initial_rate,
            "maintenance_margin": value * tier.maintenance_rate,
        }
        if equity is not None:
            backing = equity - pnl
            figures["liquidation_price"] = instrument.liquidation_price(
                quantity, entry, backing, tier.maintenance_rate
            )
            if equity > 0 and fixed is None:
                figures["leverage"] = value / equity
    return DerivativePosition(
        symbol=instrument.symbol,
        quantity=quantity,
        average_price=entry,
        mark_price=mark,
        unrealized_funding=funding,
        leverage=fixed if fixed is not None else figures.pop("leverage", None),
        # The margin figures are in the settlement currency whatever ``pnlCurrency`` says.
        margin_currency=instrument.settlement_currency,
        **figures,
    )
