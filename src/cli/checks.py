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

    # A config named by --config or $KTRADE_CONFIG must exist and parse, as for every other
    # command: a check that passes over a missing or broken config would mislead.
    ctx.config()
    settings = KrakenSettings()
    creds = None if force_paper else ctx.credentials()
    if creds is not None and creds.has_kraken:
        # LIVE only for Kraken itself: keys pointed at another endpoint (KRAKEN_API_URL, e.g.
        # a paper exchange) are checked the same way but must not read as real money.
        label = "LIVE" if "api.kraken.com" in settings.api_url else "YOUR KEYS"
        report = conn.Report(label)
        ctx.print(f"Checking Kraken ({label}) at {settings.api_url}\n")
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
    fix = failure_fix(report.results, settings.api_url)
    if fix:
        print(f"  {fix}", file=ctx.err, flush=True)  # under the summary, as errors show fixes
    ctx.log("check.done", label=report.label, passed=report.passed)
    return 0 if report.passed else 1


def failure_fix(results: list[tuple[str, bool, str]], url: str) -> str | None:
    """One line saying what to do about the first kind of failure (None when all passed)."""
    failed = {name: detail for name, ok, detail in results if not ok}
    if not failed:
        return None
    details = " ".join(failed.values())
    if "NetworkError" in details or "transport failed" in details:
        return (
            f"fix: the exchange at {url} cannot be reached: check your connection, or "
            "KRAKEN_API_URL if you set it"
        )
    if "Authentication" in failed or "AuthenticationError" in details:
        return (
            "fix: the exchange refused the key: check KRAKEN_API_KEY / KRAKEN_API_SECRET "
            "(or the keys `ktrade setup` stored) belong to this exchange and are not revoked"
        )
    if "Key permissions" in failed:
        return (
            f"fix: give the key these permissions on Kraken (API settings): "
            f"{failed['Key permissions']}"
        )
    return None
