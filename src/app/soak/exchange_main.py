"""The paper exchange on an accelerated clock, for a paper CLI without ``--clock-speed``.

``python -m src.app.soak.exchange_main`` takes the paper exchange's own options plus
``--clock-anchor FILE``: the exchange's wall clock runs ``--speed`` times real time from the
moment written in FILE at the first start, so it carries on (downtime included) across restarts
and kill -9. The soak harness uses it only when ``python -m src.venues.kraken_paper --help``
has no ``--clock-speed``; the server, state and market are the paper exchange's, unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from src.app.clocks import ScaledClock
from src.venues.kraken_paper.__main__ import parse_args
from src.venues.kraken_paper.exchange import PaperExchange


def anchored_clock(path: Path, speed: float) -> ScaledClock:
    """A clock at ``speed`` that resumes where it would be had it never stopped."""
    if path.exists():
        anchor = json.loads(path.read_text())
    else:
        anchor = {"wall0": time.time(), "real0": time.time()}
        path.write_text(json.dumps(anchor))
    now = anchor["wall0"] + (time.time() - anchor["real0"]) * speed
    return ScaledClock(speed, start=datetime.fromtimestamp(now, UTC))


async def run(argv: list[str]) -> None:
    """Serve until SIGTERM/SIGINT, then save state (as the paper CLI does)."""
    anchor_at = argv.index("--clock-anchor")
    anchor = Path(argv[anchor_at + 1])
    args = parse_args(argv[:anchor_at] + argv[anchor_at + 2 :])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    ex = PaperExchange(
        market=args.market, speed=args.speed, seed=args.seed, tier=args.tier, db_path=args.db,
        api_key=args.api_key, api_secret=args.api_secret, host=args.host, port=args.port,
        clock=anchored_clock(anchor, args.speed),
    )  # fmt: skip
    async with ex:
        print(f"REST URL: {ex.rest_url} (clock x{args.speed})", flush=True)
        await stop.wait()
        print("Shutting down", flush=True)


if __name__ == "__main__":
    asyncio.run(run(sys.argv[1:]))
