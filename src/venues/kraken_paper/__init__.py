"""Local Kraken-compatible paper exchange (REST here; WS v2 in ``ws_server``)."""

from src.venues.kraken_paper.errors import KrakenError
from src.venues.kraken_paper.events import EventBus
from src.venues.kraken_paper.exchange import PaperExchange, create_app
from src.venues.kraken_paper.faults import FaultConfig

__all__ = ["EventBus", "FaultConfig", "KrakenError", "PaperExchange", "create_app"]
