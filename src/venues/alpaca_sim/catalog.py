"""The simulator's tradable assets and their starting prices, shaped like Alpaca's asset objects.

Field names follow https://docs.alpaca.markets/reference/get-v2-assets-symbol_or_asset_id
(crypto assets carry ``min_order_size``, ``min_trade_increment`` and ``price_increment``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

_ASSET_NAMESPACE = uuid.UUID("6f1c1f55-43f3-4d7e-9a64-1b6fbd2c3a10")


@dataclass(frozen=True)
class SimAsset:
    """One asset the simulator trades."""

    symbol: str
    asset_class: str  # "us_equity" or "crypto"
    exchange: str
    name: str
    fractionable: bool = True
    status: str = "active"
    tradable: bool = True
    min_order_size: Decimal | None = None
    min_trade_increment: Decimal | None = None
    price_increment: Decimal | None = None

    @property
    def id(self) -> str:
        """A stable asset id derived from the symbol (UUID5)."""
        return str(uuid.uuid5(_ASSET_NAMESPACE, self.symbol))

    @property
    def is_crypto(self) -> bool:
        """True for crypto assets."""
        return self.asset_class == "crypto"

    @property
    def position_symbol(self) -> str:
        """The symbol as Alpaca names positions: crypto without the slash (``BTCUSD``)."""
        # Alpaca reports crypto positions without the slash ("BTCUSD").
        return self.symbol.replace("/", "")

    def to_json(self) -> dict[str, Any]:
        """The asset object as ``GET /v2/assets`` returns it."""
        body: dict[str, Any] = {
            "id": self.id,
            "class": self.asset_class,
            "exchange": self.exchange,
            "symbol": self.symbol,
            "name": self.name,
            "status": self.status,
            "tradable": self.tradable,
            "marginable": not self.is_crypto,
            "maintenance_margin_requirement": 100 if self.is_crypto else 30,
            "shortable": not self.is_crypto,
            "easy_to_borrow": not self.is_crypto,
            "fractionable": self.fractionable,
            "attributes": [],
        }
        if self.is_crypto:
            body["min_order_size"] = str(self.min_order_size)
            body["min_trade_increment"] = str(self.min_trade_increment)
            body["price_increment"] = str(self.price_increment)
        return body


def default_assets() -> dict[str, SimAsset]:
    """A few equities and crypto pairs, enough for the examples and the conformance suite."""
    step = Decimal("0.000000001")
    assets = [
        SimAsset("AAPL", "us_equity", "NASDAQ", "Apple Inc. Common Stock"),
        SimAsset("SPY", "us_equity", "ARCA", "SPDR S&P 500 ETF Trust"),
        SimAsset("TSLA", "us_equity", "NASDAQ", "Tesla, Inc. Common Stock"),
        SimAsset("BRK.A", "us_equity", "NYSE", "Berkshire Hathaway Inc.", fractionable=False),
        SimAsset(
            "BTC/USD",
            "crypto",
            "CRYPTO",
            "Bitcoin  / US Dollar",
            min_order_size=Decimal("0.0001"),
            price_increment=Decimal("1"),
            min_trade_increment=step,
        ),
        SimAsset(
            "ETH/USD",
            "crypto",
            "CRYPTO",
            "Ethereum / US Dollar",
            min_order_size=Decimal("0.001"),
            price_increment=Decimal("0.1"),
            min_trade_increment=step,
        ),
    ]
    return {a.symbol: a for a in assets}


DEFAULT_PRICES: dict[str, Decimal] = {
    "AAPL": Decimal("190.00"),
    "SPY": Decimal("450.00"),
    "TSLA": Decimal("240.00"),
    "BRK.A": Decimal("600000.00"),
    "BTC/USD": Decimal("60000"),
    "ETH/USD": Decimal("3000.0"),
}
