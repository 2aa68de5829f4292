"""Local Kraken-compatible paper exchange (REST here; WS v2 in ``ws_server``)."""

from src.brokers.paper.errors import KrakenError
from src.brokers.paper.events import EventBus
from src.brokers.paper.exchange import PaperExchange, create_app
from src.brokers.paper.faults import FaultConfig

__all__ = ["EventBus", "FaultConfig", "KrakenError", "PaperExchange", "create_app"]
