"""The user's guide import path: ``from src.brokers.alpaca_adapter import AlpacaAdapter``.

The adapter lives in :mod:`src.brokers.alpaca.adapter`, next to its parts.
"""

from src.brokers.alpaca.adapter import AlpacaAdapter, AlpacaTimeInForce

__all__ = ["AlpacaAdapter", "AlpacaTimeInForce"]
