"""``ktrade check``: the connection example's checks, with the CLI's keys and a permission probe."""

from __future__ import annotations

from src.cli.context import Context
from src.cli.examples import CONNECTION, load_example


async def run_checks(ctx: Context, *, force_paper: bool) -> int:
    """Check Kraken with the stored keys, or the local paper exchange; 0 when all pass.

    The example's own ``run`` reads the keys itself; here they come from ``ctx.credentials``,
    which can ask for the credentials file's passphrase.
    """
    from src.app.venue import check_key
    from src.brokers.kraken.settings import KrakenSettings
    from src.brokers.kraken_adapter import KrakenAdapter

    example = load_example(CONNECTION)
    settings = KrakenSettings()
    creds = None if force_paper else ctx.credentials()
    if creds is not None and creds.has_kraken:
        report = example.Report("LIVE")
        ctx.print(f"Checking Kraken (LIVE) at {settings.api_url}\n")
        async with KrakenAdapter(
            api_key=creds.require("kraken_api_key"),
            api_secret=creds.require("kraken_api_secret"),
            settings=settings,
        ) as adapter:
            await example.public_checks(adapter, report)
            await example.private_checks(adapter, report)
            if report.passed:
                ctx.print("API key permissions")
                key = await check_key(adapter)
                ctx.print(*key.lines())
                if key.can_withdraw:
                    ctx.warn("this key can withdraw funds; create one without that permission")
                if key.missing:
                    report.results.append(("Key permissions", False, ", ".join(key.missing)))
    else:
        report = example.Report("PAPER")
        ctx.print("No Kraken keys configured: checking the local paper exchange (PAPER)\n")
        async with (
            example.paper_exchange() as (url, key, secret),
            KrakenAdapter(api_key=key, api_secret=secret, base_url=url, settings=settings) as ad,
        ):
            ctx.print(f"   {url}\n")
            await example.public_checks(ad, report)
            await example.private_checks(ad, report)
    example.print_summary(report)
    ctx.log("check.done", label=report.label, passed=report.passed)
    return 0 if report.passed else 1
