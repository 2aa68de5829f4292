"""``ktrade download``'s run: choose pairs and interval, fetch or import, print the store."""

from __future__ import annotations

import asyncio

from src.cli import candles as candle_data
from src.cli.config import INTERVALS
from src.cli.context import Context
from src.cli.downloads import Outcome, from_archives, from_rest, from_trades
from src.cli.errors import CliError
from src.cli.table import table


async def _rest(ctx: Context, pairs: list[str], interval: int) -> tuple[list[Outcome], list[str]]:
    from src.brokers.kraken.settings import KrakenSettings
    from src.brokers.kraken_adapter import KrakenAdapter

    settings = KrakenSettings()
    store = candle_data.candle_store(ctx.config().data_dir())
    since = candle_data.parse_time(ctx.args.since, "--since")
    until = candle_data.parse_time(ctx.args.until, "--until")
    progress = not ctx.args.no_progress
    what = "trades" if ctx.args.trades else f"{interval}-minute candles"
    ctx.print(f"fetching {what} from {settings.api_url}")
    async with KrakenAdapter(settings=settings) as adapter:
        symbols = await adapter.load_symbols()
        for pair in pairs:
            symbols.resolve(pair)  # an unknown pair fails here, naming close matches
        if ctx.args.trades:
            return await from_trades(
                store,
                adapter,
                pairs,
                interval,
                since=since,
                until=until,
                progress=progress,
            )
        return await from_rest(
            store, adapter, pairs, interval, since=since, until=until, progress=progress
        )


def run_download(ctx: Context) -> int:
    """Fetch (or import), print one row per pair and any notes; 0 when every pair got bars."""
    config = ctx.config()
    pairs = [p.upper() for p in (ctx.args.pairs or config.trading.pairs)]
    interval = ctx.args.interval or config.trading.interval_minutes
    if interval not in INTERVALS:
        raise CliError(
            f"--interval {interval}: Kraken has no such candles",
            f"use one of {', '.join(map(str, INTERVALS))}",
        )
    store = candle_data.candle_store(config.data_dir())
    if ctx.args.archives:
        outcomes, notes = from_archives(store, ctx.args.archives, pairs, interval)
    else:
        outcomes, notes = asyncio.run(_rest(ctx, pairs, interval))
    rows = [
        [
            o.pair,
            o.added,
            o.already,
            o.conflicts,
            o.stored,
            f"{o.first:%Y-%m-%d %H:%M}" if o.first else "-",
            f"{o.last:%Y-%m-%d %H:%M}" if o.last else "-",
            o.gaps,
            o.source,
        ]
        for o in outcomes
    ]
    ctx.print(
        f"candle store {store.root} ({interval}-minute bars)",
        table(
            ["pair", "added", "had", "conflicts", "stored", "first", "last", "gaps", "from"], rows
        ),
    )
    for note in notes:
        ctx.warn(note)
    ctx.log("download.done", pairs=pairs, interval=interval, added=sum(o.added for o in outcomes))
    got = {o.pair for o in outcomes if o.stored}
    return 0 if got == set(pairs) else 1
