"""The guide's import path: ``from src.brokers.kraken_order_manager import KrakenOrderManager``."""

from src.brokers.kraken.order_manager import KrakenOrderManager

__all__ = ["KrakenOrderManager"]
