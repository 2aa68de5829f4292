"""The Alpaca adapter (``adapter``) and its parts: config, HTTP, errors, parsing, orders, fills.

The adapter itself is ``src.brokers.alpaca.adapter.AlpacaAdapter``; the guide imports it
from ``src.brokers.alpaca_adapter``, which re-exports it.
"""

from src.brokers.alpaca.config import AlpacaConfig, AlpacaTimeInForce

__all__ = ["AlpacaConfig", "AlpacaTimeInForce"]
