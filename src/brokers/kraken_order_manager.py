"""The guide's import path: ``from src.brokers.kraken_order_manager import KrakenOrderManager``."""

from src.brokers.kraken.orders.manager import KrakenOrderManager

__all__ = ["KrakenOrderManager"]
