"""The user's guide import path: ``from src.brokers.kraken_adapter import KrakenAdapter``."""

from src.brokers.kraken.adapter import KrakenAdapter

__all__ = ["KrakenAdapter"]
