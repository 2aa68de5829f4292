"""The paper exchange's public import path (the user's guide names it); it lives in ``src.venues``.

``from src.brokers.paper import PaperExchange, KrakenError`` keeps working; the code is in
:mod:`src.venues.kraken_paper`.
"""

from src.venues.kraken_paper import EventBus, FaultConfig, KrakenError, PaperExchange, create_app

__all__ = ["EventBus", "FaultConfig", "KrakenError", "PaperExchange", "create_app"]
