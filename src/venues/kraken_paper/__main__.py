"""Command line: ``python -m src.venues.kraken_paper --host 127.0.0.1 --port PORT [...]``.

``python -m src.brokers.paper`` (the user's guide's spelling) runs the same command.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from src.core.clock import SystemClock
from src.venues.kraken_paper.exchange import PaperExchange
from src.venues.kraken_paper.store import StoreError

PROG = "python -m src.venues.kraken_paper"


def parse_args(argv: list[str] | None = None, prog: str = PROG) -> argparse.Namespace:
    """Parse the CLI options (``prog`` names the command in ``--help`` and errors)."""
    p = argparse.ArgumentParser(prog=prog, description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 = any free port")
    p.add_argument("--api-key", default=None, help="demo account key (fresh if omitted)")
    p.add_argument("--api-secret", default=None, help="base64 secret for --api-key")
    p.add_argument("--market", choices=["replay", "synthetic", "mirror"], default="replay")
    p.add_argument(
        "--speed", type=float, default=None,
        help="market seconds per real second (default 60, or --clock-speed when that is given)",
    )  # fmt: skip
    p.add_argument(
        "--clock-speed", type=float, default=1.0, metavar="X",
        help="the exchange clock runs X times real time (default 1: the real clock); "
        "with --db a restart resumes from the saved time",
    )  # fmt: skip
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--tier", choices=["starter", "intermediate", "pro"], default="starter")
    p.add_argument("--upstream", default="https://api.kraken.com", help="mirror source URL")
    p.add_argument("--db", default=None, help="SQLite file for state across restarts")
    p.add_argument("--reset", action="store_true", help="wipe the state in --db first")
    args = p.parse_args(argv)
    if (args.api_key is None) != (args.api_secret is None):
        p.error("--api-key and --api-secret go together")
    if args.clock_speed <= 0:
        p.error("--clock-speed must be positive")
    if args.speed is None:  # a market in step with an accelerated clock, unless told otherwise
        args.speed = 60.0 if args.clock_speed == 1 else args.clock_speed
    return args


async def run(args: argparse.Namespace) -> None:
    """Start the exchange, print how to reach it, wait for SIGINT/SIGTERM, stop cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    ex = PaperExchange(
        market=args.market, speed=args.speed, seed=args.seed, tier=args.tier, db_path=args.db,
        api_key=args.api_key, api_secret=args.api_secret, host=args.host, port=args.port,
        upstream=args.upstream, reset=args.reset, clock_speed=args.clock_speed,
    )  # fmt: skip
    async with ex:
        print(f"Paper exchange ({args.market}) running", flush=True)
        if not isinstance(ex.clock, SystemClock):  # a simulated calendar: say where it is
            when = f"{ex.clock.now():%Y-%m-%dT%H:%M:%SZ}"
            print(f"Clock:      {args.clock_speed:g}x real time, from {when}", flush=True)
        print(f"REST URL:          {ex.rest_url}", flush=True)
        print(f"WebSocket URL:     {ex.ws_url}", flush=True)
        print(f"WebSocket auth URL: {ex.ws_auth_url}", flush=True)
        # The demo credentials are printed on purpose: they only unlock this local paper account.
        print(f"API key:    {ex.api_key}", flush=True)
        print(f"API secret: {ex.api_secret}", flush=True)
        await stop.wait()
        print("Shutting down", flush=True)


def main(argv: list[str] | None = None, prog: str = PROG) -> int:
    """Entry point: run until SIGINT/SIGTERM; exit status 2 when the port cannot be bound."""
    args = parse_args(argv, prog)
    try:
        asyncio.run(run(args))
    except OSError as exc:  # a port in use is a user's fix, not a traceback
        print(
            f"{prog}: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}; "
            "pick another --port (0 chooses a free one)",
            file=sys.stderr,
        )
        return 2
    except StoreError as exc:  # an unreadable --db: say so, and how to start afresh
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
