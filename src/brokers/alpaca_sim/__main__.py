"""``python -m src.brokers.alpaca_sim``: the guide's command, run by ``src.venues.alpaca_sim``."""

from __future__ import annotations

from src.venues.alpaca_sim.__main__ import main

if __name__ == "__main__":
    main()
