"""TradingRuntime on an inverse perpetual (PI_XBTUSD): contracts are dollars, books are bitcoin.

The futures adapter on the paper venue over loopback. The runtime's books are checked against
the venue's own records (its account log, its XBT wallet and its positions): the harmonic
average entry, PnL, fees and funding in BTC, and the book's USD totals valued at the mark.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from src.brokers.kraken_futures import KrakenFuturesAdapter
from src.core.execution import OrderStatus, Side
from src.core.risk import RiskLimits
from src.core.runtime import TradingRuntime
from src.venues.kraken_futures_paper import FuturesPaperExchange
from tests.support.futures_runtime import futures_runtime
from tests.support.runtime import ListCandles

D = Decimal
PI = "PI_XBTUSD"
ZERO = D(0)


def runtime_for(
    adapter: KrakenFuturesAdapter, weights: Sequence[str], closes: Sequence[int], path: Path
) -> tuple[TradingRuntime, ListCandles]:
    # Spot-style limits in USD: 1,000 contracts are 1,000 USD at any price (quantity times
    # price would call them 60 million and refuse every order).
    limits = RiskLimits(
        allowed_pairs=frozenset({PI}), allow_leverage=True, max_order_notional=D(2500),
        max_position_notional=D(1500), max_gross_exposure=D(1500), kill_file=None,
    )  # fmt: skip
    return futures_runtime(adapter, PI, weights, closes, path, limits=limits)


async def test_an_inverse_perpetual_trades_in_dollars_and_books_bitcoin_as_the_venue_does(
    adapter: KrakenFuturesAdapter, venue: FuturesPaperExchange, tmp_path: Path
) -> None:
    runtime, candles = runtime_for(
        adapter, ["0.5", "1", "-1"], [60000, 60000, 62000, 61000], tmp_path / "pi.db"
    )
    await runtime.start()
    assert runtime.futures is not None
    candles.released = 2
    await runtime.step()  # weight 0.5 of 1,000 USD: 500 contracts
    venue.set_index("XBT", 62000)
    candles.released = 3
    await runtime.step()  # weight 1: 500 more, at a higher price
    await runtime.reconcile()
    [first, second] = runtime.store.fills()
    assert (first.quantity, second.quantity) == (D(500), D(500))
    mine = runtime.portfolio.position(PI)
    # Contracts are dollars: the average entry is the harmonic mean of the fill prices.
    harmonic = D(1000) / (D(500) / first.price + D(500) / second.price)
    assert mine.average_price == harmonic != (first.price + second.price) / 2
    [held] = await adapter.get_futures_positions()
    assert mine.average_price == held.average_price and mine.quantity == held.quantity

    lifecycle = venue.lifecycle
    at = lifecycle.next_funding
    assert at is not None
    lifecycle.current[PI] = D("0.0001")
    lifecycle.fund(at)  # the long pays 1,000 * 0.0001 / mark BTC
    venue.set_index("XBT", 61000)
    candles.released = 4
    await runtime.step()  # weight -1: sell 2,000, closing 1,000 and opening 1,000 short
    report = await runtime.reconcile()

    account = venue.engine.accounts[venue.account_id]
    log = [e for e in account.log if e.contract == PI]
    fees = sum((e.fee or ZERO for e in log), ZERO)
    realized = sum((e.realized_pnl or ZERO for e in log), ZERO)
    funding = [e.realized_funding for e in log if e.info == "funding rate change"]
    # 1,000 contracts at 0.0001 of their dollars, in bitcoin at the mark: about 1.6e-6
    assert len(funding) == 1 and funding[0] is not None
    assert D("-0.0000017") < funding[0] < D("-0.0000015")
    mine = runtime.portfolio.position(PI)
    assert mine.quantity == D(-1000)
    # Every figure in BTC, the venue's own: fees are not valued at the fill price. Each is
    # the taker rate (0.05 %) on the fill's dollars, in bitcoin at its price.
    taker = sum((f.quantity * D("0.0005") / f.price for f in runtime.store.fills()), ZERO)
    assert mine.fees == fees and abs(fees - taker) < D("1e-20")
    assert mine.realized_pnl == realized
    assert runtime.portfolio.funding[PI] == funding[0]
    # What the fills and funding explain is what the XBT wallet holds: no balance difference.
    assert runtime.portfolio.expected_with_funding()["BTC"] == account.wallets["XBT"]
    assert report.balance_differences == []
    assert report.futures is not None and report.futures.position_differences == []
    # The book's totals are USD: the BTC amounts valued at the mark the venue reported.
    [short] = await adapter.get_futures_positions()
    mark = runtime.portfolio.marks[PI]
    assert mark == short.mark_price
    assert runtime.portfolio.fees == fees * mark
    assert runtime.portfolio.realized_pnl == realized * mark
    assert (
        runtime.portfolio.unrealized_pnl
        == mine.unrealized_pnl(mark, runtime.portfolio.contracts[PI]) * mark
    )
    assert D(990) < runtime.portfolio.equity < D(1010)  # 1,000 USD of capital, small PnL
    line = runtime.status_line()
    assert "positions[PI_XBTUSD=-1000]" in line and "BTC" in line
    orders = runtime.store.orders()
    assert [(o.side, o.quantity, o.status) for o in orders] == [
        (Side.BUY, D(500), OrderStatus.FILLED), (Side.BUY, D(500), OrderStatus.FILLED),
        (Side.SELL, D(2000), OrderStatus.FILLED),
    ]  # fmt: skip
    [order] = await runtime.flatten()  # buys back the short, reduce-only
    assert (order.side, order.quantity, order.status) == (Side.BUY, D(1000), OrderStatus.FILLED)
    report = await runtime.reconcile()
    assert await adapter.get_futures_positions() == []
    assert report.balance_differences == []
    await runtime.shutdown()
