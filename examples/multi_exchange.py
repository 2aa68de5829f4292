"""The guide's "Multi-Exchange Trading" example: stocks on Alpaca and crypto on Kraken.

``multi_exchange()`` is the guide's code as written (its ``...`` filled with order types).
Where credentials are missing, the broker is served locally so the example runs anywhere:
    * no ALPACA_API_KEY/ALPACA_API_SECRET -> the local Alpaca simulator (src.venues.alpaca_sim);
    * no Kraken credentials, or no ``--live-kraken`` -> the local paper exchange
      (Kraken has no paper endpoint, so real Kraken keys are used only when asked for).
With ALPACA_API_KEY/ALPACA_API_SECRET set, Alpaca orders go to your Alpaca *paper* account
(see docs/alpaca.md).

Run: ``python examples/multi_exchange.py [--live-kraken]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from src.brokers.alpaca_adapter import AlpacaAdapter
from src.brokers.credentials import BrokerCredentials
from src.brokers.kraken_adapter import KrakenAdapter
from src.core.execution import Order, OrderType, Side
from src.venues.alpaca_sim import AlpacaSim
from src.venues.kraken_paper import PaperExchange


async def multi_exchange() -> None:  # the guide's code, as written
    """Connect to Alpaca and Kraken with the guide's code and use both."""
    creds = BrokerCredentials()

    # Connect to both Alpaca and Kraken
    alpaca = AlpacaAdapter(
        api_key=creds.alpaca_api_key.get_secret_value(),  # type: ignore[union-attr]
        api_secret=creds.alpaca_api_secret.get_secret_value(),  # type: ignore[union-attr]
        paper=True,
    )

    async with KrakenAdapter(
        api_key=creds.kraken_api_key.get_secret_value(),  # type: ignore[union-attr]
        api_secret=creds.kraken_api_secret.get_secret_value(),  # type: ignore[union-attr]
    ) as kraken:
        # Trade stocks on Alpaca
        stock_order = Order(symbol="AAPL", side=Side.BUY, quantity=10, order_type=OrderType.MARKET)
        await alpaca.submit_orders([stock_order])

        # Trade crypto on Kraken
        crypto_order = Order(
            symbol="BTC/USD",
            side=Side.BUY,
            quantity=0.001,
            order_type=OrderType.LIMIT,
            limit_price=40000.0,
        )
        await kraken.submit_orders([crypto_order])

        # Not in the guide: show where the two orders ended up.
        placed = (("Alpaca", alpaca, stock_order), ("Kraken", kraken, crypto_order))
        for name, engine, order in placed:
            found = await engine.find_order(order.client_order_id)
            state = found.status.value if found else "not found"
            print(f"{name}: {order.symbol} {order.side.value} {order.quantity} -> {state}")
    await alpaca.close()


@asynccontextmanager
async def local_venues(live_kraken: bool) -> AsyncIterator[list[str]]:
    """Serve missing brokers locally by pointing the guide's environment variables at them."""
    async with AsyncExitStack() as stack:
        creds = BrokerCredentials()
        notes = []
        if creds.alpaca_api_key is None or creds.alpaca_api_secret is None:
            sim = await stack.enter_async_context(AlpacaSim())
            os.environ.update(
                ALPACA_API_KEY=sim.api_key,
                ALPACA_API_SECRET=sim.api_secret,
                ALPACA_BASE_URL=sim.base_url,
            )
            notes.append(f"Alpaca: LOCAL simulator at {sim.base_url} (no ALPACA_API_KEY set)")
        else:
            url = os.environ.get("ALPACA_BASE_URL", "https://paper-api.alpaca.markets")
            notes.append(f"Alpaca: your PAPER account at {url}")
        if not (live_kraken and creds.has_kraken):
            exchange = await stack.enter_async_context(PaperExchange())
            os.environ.update(
                KRAKEN_API_KEY=exchange.api_key,
                KRAKEN_API_SECRET=exchange.api_secret,
                KRAKEN_API_URL=exchange.rest_url,
            )
            notes.append(f"Kraken: LOCAL paper exchange at {exchange.rest_url}")
        else:
            notes.append("Kraken: LIVE account (--live-kraken): real money")
        yield notes


async def main(live_kraken: bool) -> None:
    """Run the guide's example against real or local brokers."""
    async with local_venues(live_kraken) as notes:
        for note in notes:
            print(note)
        await multi_exchange()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--live-kraken", action="store_true", help="use real Kraken credentials")
    asyncio.run(main(parser.parse_args().live_kraken))
