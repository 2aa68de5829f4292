"""Public face of Kraken WS v2 market data: ``KrakenMarketData`` and its records."""

from src.brokers.kraken.ws.market_models import BookUpdate, LiveBook, Ticker
from src.brokers.kraken.ws.public import KrakenMarketData

__all__ = ["BookUpdate", "KrakenMarketData", "LiveBook", "Ticker"]
