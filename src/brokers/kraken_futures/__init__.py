"""Kraken Futures: REST v3 and WebSocket v1 client and ``KrakenFuturesAdapter``."""

from src.brokers.kraken_futures.adapter import KrakenFuturesAdapter
from src.brokers.kraken_futures.settings import KrakenFuturesSettings

__all__ = ["KrakenFuturesAdapter", "KrakenFuturesSettings"]
