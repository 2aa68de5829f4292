"""Command line: ``python -m src.venues.kraken_futures_paper --port PORT [...]``.

Prints the REST and WebSocket URLs and the demo account's key and secret, then serves until
SIGINT or SIGTERM. Point the adapter at it with ``KRAKEN_FUTURES_API_URL`` (the WebSocket
URL follows) or any Kraken Futures client with its URL option.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from src.venues.kraken_futures_paper.exchange import FuturesPaperExchange

PROG = "python -m src.venues.kraken_futures_paper"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the CLI options."""
    p = argparse.ArgumentParser(prog=PROG, description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 = any free port")
    p.add_argument("--api-key", default=None, help="demo account key (fresh if omitted)")
    p.add_argument("--api-secret", default=None, help="base64 secret for --api-key")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--tick", type=float, default=1.0, help="real seconds between market steps")
    p.add_argument("--no-rate-limits", action="store_true", help="do not enforce the budgets")
    args = p.parse_args(argv)
    if (args.api_key is None) != (args.api_secret is None):
        p.error("--api-key and --api-secret go together")
    return args


async def run(args: argparse.Namespace) -> None:
    """Serve until a signal arrives."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with FuturesPaperExchange(
        seed=args.seed, host=args.host, port=args.port, api_key=args.api_key,
        api_secret=args.api_secret, tick_interval=args.tick, rate_limits=not args.no_rate_limits,
    ) as venue:  # fmt: skip
        print(f"Kraken Futures paper venue: REST {venue.rest_url}  WS {venue.ws_url}")
        print(f"API key: {venue.api_key}")
        print(f"API secret: {venue.api_secret}", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(run(parse_args()))
