"""``python -m src.venues.alpaca_sim``: serve a simulated Alpaca account until interrupted."""

from __future__ import annotations

import asyncio

from src.venues.alpaca_sim.server import AlpacaSim


async def _main() -> None:
    async with AlpacaSim() as sim:
        print(f"ALPACA_BASE_URL={sim.base_url}")
        print(f"ALPACA_API_KEY={sim.api_key}")
        print(f"ALPACA_API_SECRET={sim.api_secret}")  # a throwaway key of this simulator
        await asyncio.Event().wait()


def main() -> None:
    """Entry point (also of ``python -m src.brokers.alpaca_sim``, the guide's spelling)."""
    asyncio.run(_main())


if __name__ == "__main__":
    main()
