"""``ktrade check``: the connection checks with the CLI's keys, then a key permission probe."""

from __future__ import annotations

from src.cli.context import Context


async def run_checks(ctx: Context, *, force_paper: bool) -> int:
    """Check Kraken with the stored keys, or the local paper exchange; 0 when all pass.

    The example's ``run`` reads the keys itself; here they come from ``ctx.credentials``,
    which can ask for the credentials file's passphrase.
    """
    from src.app import connection_check as conn
    from src.app.venue import check_key
    from src.brokers.kraken.settings import KrakenSettings
    from src.brokers.kraken_adapter import KrakenAdapter

    settings = KrakenSettings()
    creds = None if force_paper else ctx.credentials()
    if creds is not None and creds.has_kraken:
        report = conn.Report("LIVE")
        ctx.print(f"Checking Kraken (LIVE) at {settings.api_url}\n")
        async with KrakenAdapter(
            api_key=creds.require("kraken_api_key"),
            api_secret=creds.require("kraken_api_secret"),
            settings=settings,
        ) as adapter:
            await conn.public_checks(adapter, report)
            await conn.private_checks(adapter, report)
            if report.passed:
                ctx.print("API key permissions")
                permissions = await check_key(adapter)
                ctx.print(*permissions.lines())
                if permissions.can_withdraw:
                    ctx.warn("this key can withdraw funds; create one without that permission")
                if permissions.missing:
                    report.results.append(
                        ("Key permissions", False, ", ".join(permissions.missing))
                    )
    else:
        report = conn.Report("PAPER")
        ctx.print("No Kraken keys configured: checking the local paper exchange (PAPER)\n")
        async with (
            conn.paper_exchange() as (url, key, secret),
            KrakenAdapter(api_key=key, api_secret=secret, base_url=url, settings=settings) as ad,
        ):
            ctx.print(f"   {url}\n")
            await conn.public_checks(ad, report)
            await conn.private_checks(ad, report)
    conn.print_summary(report)
    ctx.log("check.done", label=report.label, passed=report.passed)
    return 0 if report.passed else 1
