"""A local Kraken-Futures-compatible paper venue (REST v3 + WebSocket v1 on loopback)."""

from src.venues.kraken_futures_paper.exchange import FuturesPaperExchange
from src.venues.kraken_futures_paper.faults import FuturesFaults

__all__ = ["FuturesFaults", "FuturesPaperExchange"]
