"""The connection check: public endpoints, then authentication, balances and open orders.

``examples/test_kraken_connection.py`` and ``ktrade check`` run these checks; each prints its
outcome as it goes and the report collects them for the closing block.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from src.brokers.credentials import BrokerCredentials
from src.brokers.kraken.settings import KrakenSettings
from src.brokers.kraken_adapter import KrakenAdapter
from src.core.execution import AccountBalances


@dataclass
class Report:
    """Outcome of each check, printed as the run goes."""

    label: str
    results: list[tuple[str, bool, str]] = field(default_factory=list)
    balances: AccountBalances | None = None

    async def check(self, name: str, step: Callable[[], Awaitable[str]]) -> bool:
        """Run one check, record and print its outcome; any exception counts as a failure.

        Returns:
            True if ``step`` returned (its string is the detail shown).
        """
        try:
            detail = await step()
        except Exception as error:  # the report must name every failure, whatever its type
            self.results.append((name, False, f"{type(error).__name__}: {error}"))
            print(f"  ❌ {name}: {type(error).__name__}: {error}")
            return False
        self.results.append((name, True, detail))
        print(f"  ✅ {name}: {detail}")
        return True

    @property
    def passed(self) -> bool:
        """True if at least one check ran and every check passed."""
        return bool(self.results) and all(ok for _, ok, _ in self.results)


async def public_checks(adapter: KrakenAdapter, report: Report) -> None:
    """Server time, system status, asset pairs, BTC/USD ticker and order book."""

    async def server_time() -> str:
        return f"unixtime {await adapter.get_server_time()}"

    async def status() -> str:
        return str((await adapter.get_system_status()).get("status"))

    async def pairs() -> str:
        symbols = await adapter.load_symbols(refresh=True)
        info = symbols.resolve("BTC/USD")
        return f"{len(symbols)} pairs; BTC/USD is {info.key} (altname {info.altname})"

    async def ticker() -> str:
        key = (await adapter.load_symbols()).resolve("BTC/USD").key
        data = await adapter.get_ticker(key)
        row = data.get(key) or next(iter(data.values()))
        return f"BTC/USD last {row['c'][0]}, bid {row['b'][0]}, ask {row['a'][0]}"

    async def book() -> str:
        key = (await adapter.load_symbols()).resolve("BTC/USD").key
        data = await adapter.get_order_book(key, count=5)
        side = data.get(key) or next(iter(data.values()))
        return f"{len(side['bids'])} bids / {len(side['asks'])} asks"

    print("🌐 Public endpoints")
    for name, step in (
        ("Server time", server_time),
        ("System status", status),
        ("Asset pairs", pairs),
        ("Ticker", ticker),
        ("Order book", book),
    ):
        await report.check(name, step)


async def private_checks(adapter: KrakenAdapter, report: Report) -> None:
    """Authentication (TradeBalance), balances and open orders."""

    async def auth() -> str:
        balance = await adapter.get_trade_balance(asset="ZUSD")
        return f"signed request accepted (equivalent balance {balance.get('eb')} USD)"

    async def balances() -> str:
        report.balances = await adapter.get_account()
        return f"{len(report.balances)} assets"

    async def open_orders() -> str:
        orders = await adapter.get_orders(status="open")
        return f"{len(orders)} open"

    print("🔐 Private endpoints")
    if await report.check("Authentication", auth):
        await report.check("Balances", balances)
        await report.check("Open orders", open_orders)


def print_summary(report: Report) -> None:
    """The guide's closing block."""
    print()
    if report.passed:
        print(f"✅ ALL TESTS PASSED! ({report.label})")
        print("🎯 Kraken connection is working!")
    else:
        failed = [name for name, ok, _ in report.results if not ok]
        print(f"❌ {len(failed)} CHECK(S) FAILED ({report.label}): {', '.join(failed)}")
    if report.balances is not None:
        held = {a: v for a, v in report.balances.items() if v}
        print(f"\n📊 Balances ({len(held)} assets):")
        for asset, amount in held.items():
            print(f"  - {asset}: {amount:,.8f}")


@contextlib.asynccontextmanager
async def paper_exchange() -> AsyncIterator[tuple[str, str, str]]:
    """Start the in-process paper exchange; yields (rest_url, api_key, api_secret)."""
    from src.venues.kraken_paper import PaperExchange

    async with PaperExchange(market="replay", seed=1) as ex:
        yield ex.rest_url, ex.api_key, ex.api_secret


async def run(force_paper: bool) -> Report:
    """Pick LIVE or PAPER and run every check."""
    # Both read once, from the environment and .env; KRAKEN_API_URL in either is honoured.
    creds = BrokerCredentials()
    settings = KrakenSettings()
    if creds.has_kraken and not force_paper:
        report = Report("LIVE")
        print(f"🔌 Checking Kraken ({report.label})")
        async with KrakenAdapter(
            api_key=creds.require("kraken_api_key"),
            api_secret=creds.require("kraken_api_secret"),
            settings=settings,
        ) as adapter:
            print(f"   {adapter.base_url}\n")
            await public_checks(adapter, report)
            await private_checks(adapter, report)
        return report
    report = Report("PAPER")
    print("🔌 No Kraken credentials set: checking the local paper exchange (PAPER)\n")
    async with (
        paper_exchange() as (url, key, secret),
        KrakenAdapter(api_key=key, api_secret=secret, base_url=url, settings=settings) as adapter,
    ):
        print(f"   {url}\n")
        await public_checks(adapter, report)
        await private_checks(adapter, report)
    return report
