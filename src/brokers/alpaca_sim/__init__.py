"""The Alpaca simulator's import path named by the user's guide; it lives in ``src.venues``.

``from src.brokers.alpaca_sim import AlpacaSim`` keeps working; the code is in
:mod:`src.venues.alpaca_sim`.
"""

from src.venues.alpaca_sim import AlpacaSim

__all__ = ["AlpacaSim"]
