"""The simulator's positions, shaped like Alpaca's position object."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from src.venues.alpaca_sim.catalog import SimAsset


@dataclass
class SimPosition:
    """Net holding of one asset."""

    asset: SimAsset
    qty: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)  # cost basis of the open quantity

    def to_json(self, price: Decimal) -> dict[str, Any]:
        """The position object as ``GET /v2/positions`` returns it, valued at ``price``."""
        avg = (self.cost / self.qty) if self.qty else Decimal(0)
        market_value = self.qty * price
        return {
            "asset_id": self.asset.id,
            "symbol": self.asset.position_symbol,
            "exchange": self.asset.exchange,
            "asset_class": self.asset.asset_class,
            "asset_marginable": not self.asset.is_crypto,
            "avg_entry_price": format(avg.quantize(Decimal("0.0001")), "f"),
            "qty": format(self.qty, "f"),
            "qty_available": format(self.qty, "f"),
            "side": "long" if self.qty >= 0 else "short",
            "market_value": format(market_value, "f"),
            "cost_basis": format(self.cost, "f"),
            "unrealized_pl": format(market_value - self.cost, "f"),
            "unrealized_plpc": "0",
            "unrealized_intraday_pl": format(market_value - self.cost, "f"),
            "unrealized_intraday_plpc": "0",
            "current_price": format(price, "f"),
            "lastday_price": format(price, "f"),
            "change_today": "0",
        }
