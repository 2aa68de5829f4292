"""``ktrade universe``'s run: fetch AssetPairs and Ticker, filter, print, maybe write."""

from __future__ import annotations

import asyncio
from typing import Any

from src.cli.config import save_config
from src.cli.context import Context
from src.cli.errors import CliError
from src.cli.table import cell, table
from src.cli.universe import Candidate, apply_overrides, candidates, choose


async def _fetch() -> tuple[str, list[Candidate]]:
    from src.brokers.kraken.settings import KrakenSettings
    from src.brokers.kraken_adapter import KrakenAdapter

    settings = KrakenSettings()
    async with KrakenAdapter(settings=settings) as adapter:
        symbols = await adapter.load_symbols(refresh=True)
        tickers: dict[str, Any] = await adapter.get_ticker(None)
    return settings.api_url, candidates(symbols.pairs(), tickers)


def run_universe(ctx: Context) -> int:
    """Print the kept pairs as a table; with ``--write`` save them as the trading pairs."""
    from pydantic import ValidationError

    config = ctx.config()
    try:
        rules = apply_overrides(config.universe, ctx.args)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise CliError(
            f"--{first['loc'][0]}: {first['msg']}", "see `ktrade universe --help`"
        ) from None
    url, found = asyncio.run(_fetch())
    kept, reasons = choose(found, rules)
    ctx.print(
        f"{len(found)} pairs at {url}; quote {', '.join(rules.quotes)}, online, 24 h volume >= "
        f"{cell(rules.min_volume_24h)}, spread <= {cell(rules.max_spread_bps)} bps",
        table(
            ["pair", "24h volume (quote)", "spread bps", "last"],
            [[c.symbol, cell(c.volume_24h, 0), cell(c.spread_bps, 2), cell(c.last)] for c in kept],
        ),
    )
    if reasons:
        ctx.print("left out: " + ", ".join(f"{n} ({r})" for r, n in sorted(reasons.items())))
    if not kept:
        raise CliError("no pair passes the filters", "lower --min-volume or raise --max-spread-bps")
    if ctx.args.write:
        pairs = [c.symbol for c in kept]
        trading = config.trading.model_copy(update={"pairs": pairs})
        risk = config.risk
        if risk.allowed_pairs is not None:
            risk = risk.model_copy(update={"allowed_pairs": pairs})
        updated = config.model_copy(update={"trading": trading, "risk": risk})
        save_config(ctx.config_path, updated)
        ctx.print(f"wrote [trading] pairs = {pairs} to {ctx.config_path}")
        ctx.log("operator.universe_written", pairs=pairs, config=str(ctx.config_path))
    return 0
