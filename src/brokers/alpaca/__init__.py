"""Alpaca adapter parts: config, HTTP client, error mapping, parsing, orders and the fill stream.

The adapter itself is ``src.brokers.alpaca_adapter.AlpacaAdapter`` (the guide's import path).
"""

from src.brokers.alpaca.config import AlpacaConfig, AlpacaTimeInForce

__all__ = ["AlpacaConfig", "AlpacaTimeInForce"]
