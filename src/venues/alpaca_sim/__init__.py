"""A local Alpaca-shaped venue (Trading API v2 + ``trade_updates`` stream) for tests and examples.

It shares no parsing code with the adapter (``src.brokers.alpaca``), so the two cannot share a bug.
"""

from src.venues.alpaca_sim.server import AlpacaSim

__all__ = ["AlpacaSim"]
