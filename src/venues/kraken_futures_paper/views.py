"""Kraken-shaped JSON of market and account state: instruments, tickers, accounts, positions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from src.venues.kraken_futures_paper.api import Venue
from src.venues.kraken_futures_paper.contracts import FEE_SCHEDULE_UID, Contract
from src.venues.kraken_futures_paper.fees import TIERS
from src.venues.kraken_futures_paper.margin import Figures, group_of
from src.venues.kraken_futures_paper.state import Account
from src.venues.kraken_futures_paper.wire import iso

__all__ = ["accounts_view", "instrument_view", "positions_view", "ticker_view"]

ZERO = Decimal(0)


def instrument_view(contract: Contract) -> dict[str, Any]:
    """One ``instruments[]`` row."""
    floor_key = "numNonContractUnits" if contract.linear else "contracts"
    row: dict[str, Any] = {
        "symbol": contract.symbol,
        "type": "flexible_futures" if contract.linear else "futures_inverse",
        "pair": f"{contract.base}:USD", "base": contract.base, "quote": "USD",
        "underlying": f"rr_{contract.base.lower()}usd",
        "tickSize": contract.tick, "contractSize": 1, "tradeable": contract.tradeable,
        "impactMidSize": contract.impact_mid_size, "maxPositionSize": contract.max_position,
        "openingDate": iso(contract.opening),
        "marginLevels": [
            {floor_key: f, "initialMargin": im, "maintenanceMargin": mm}
            for f, im, mm in contract.tiers
        ],
        "contractValueTradePrecision": contract.precision, "postOnly": contract.post_only,
        "feeScheduleUid": FEE_SCHEDULE_UID, "tradfi": False, "mtf": False, "tags": [],
    }  # fmt: skip
    if contract.perpetual:
        row["fundingRateCoefficient"] = contract.funding_coefficient
        row["maxRelativeFundingRate"] = contract.max_relative_funding
    else:
        assert contract.last_trading is not None
        row["lastTradingTime"] = iso(contract.last_trading)
    return row


def ticker_view(exchange: Venue, symbol: str) -> dict[str, Any]:
    """One ``tickers[]`` row: top of book, mark, index, funding and 24 h figures."""
    engine, now = exchange.engine, exchange.now()
    market = engine.markets[symbol]
    contract = market.contract
    bids, asks = exchange.book_levels(symbol)
    volume, quote, open_price = market.stats_24h(now)
    row: dict[str, Any] = {
        "symbol": symbol, "tag": contract.tag, "pair": f"{contract.base}:USD",
        "markPrice": market.mark(now), "indexPrice": market.index,
        "bid": bids[0][0] if bids else None, "bidSize": bids[0][1] if bids else None,
        "ask": asks[0][0] if asks else None, "askSize": asks[0][1] if asks else None,
        "vol24h": volume, "volumeQuote": quote, "openInterest": market.open_interest,
        "open24h": open_price, "last": market.last, "lastSize": market.last_size,
        "lastTime": iso(market.last_time) if market.last_time else None,
        "suspended": not contract.tradeable, "postOnly": contract.post_only,
    }  # fmt: skip
    if contract.perpetual:
        life = exchange.lifecycle
        row["fundingRate"] = life.absolute(symbol, life.current.get(symbol, ZERO))
        row["fundingRatePrediction"] = life.absolute(symbol, life.prediction(symbol))
    return {k: v for k, v in row.items() if v is not None}


def _flex_view(account: Account, fig: Figures, exchange: Venue) -> dict[str, Any]:
    indices = {m.contract.base: m.index for m in exchange.engine.markets.values()}
    currencies = {}
    for currency, qty in account.flex.items():
        price = Decimal(1) if currency in ("USD", "USDT", "USDC") else indices.get(currency, ZERO)
        haircut = ZERO if price == 1 else Decimal("0.02")
        currencies[currency] = {
            "quantity": qty,
            "value": qty * price,
            "collateral": qty * price * (1 - haircut),
            "available": qty if fig.available >= 0 else ZERO,
        }
    return {
        "type": "multiCollateralMarginAccount", "currencies": currencies,
        "balanceValue": fig.balance_value, "portfolioValue": fig.portfolio_value,
        "collateralValue": fig.collateral, "initialMargin": fig.initial,
        "initialMarginWithOrders": fig.initial_with_orders, "maintenanceMargin": fig.maintenance,
        "pnl": fig.pnl, "unrealizedFunding": fig.unrealized_funding,
        "totalUnrealized": fig.pnl + fig.unrealized_funding,
        "totalUnrealizedAsMargin": fig.pnl + fig.unrealized_funding,
        "marginEquity": fig.equity, "availableMargin": fig.available,
    }  # fmt: skip


def _wallet_view(account: Account, fig: Figures, base: str, exchange: Venue) -> dict[str, Any]:
    balances: dict[str, Any] = {base.lower(): account.wallets.get(base, ZERO)}
    for symbol, position in account.positions.items():
        contract = exchange.engine.contracts[symbol]
        if position.size and group_of(contract) == fig.group:
            balances[symbol] = position.size
    return {
        "type": "marginAccount", "currency": base.lower(), "balances": balances,
        "auxiliary": {"usd": ZERO, "pv": fig.portfolio_value, "pnl": fig.pnl,
                      "af": fig.available, "funding": fig.unrealized_funding},
        "marginRequirements": {"im": fig.initial, "mm": fig.maintenance,
                               "lt": fig.maintenance * Decimal("0.8"),
                               "tt": fig.maintenance * Decimal("0.5")},
        "triggerEstimates": {"im": ZERO, "mm": ZERO, "lt": ZERO, "tt": ZERO},
    }  # fmt: skip


def accounts_view(exchange: Venue, account: Account) -> dict[str, Any]:
    """The ``accounts`` object: cash, each inverse wallet, and flex."""
    engine = exchange.engine
    out: dict[str, Any] = {"cash": {"type": "cashAccount", "balances": {}}}
    for base in sorted({c.base for c in engine.contracts.values() if not c.linear}):
        group = f"fi_{base.lower()}usd"
        out[group] = _wallet_view(account, engine.figures(account, group), base, exchange)
    out["flex"] = _flex_view(account, engine.figures(account, "flex"), exchange)
    return out


def positions_view(exchange: Venue, account: Account) -> list[dict[str, Any]]:
    """``openPositions[]``, newest first."""
    rows = []
    accrued = exchange.engine.accrued.get(account.id, {})
    for symbol, position in account.positions.items():
        if position.size == 0:
            continue
        contract = exchange.engine.contracts[symbol]
        row: dict[str, Any] = {
            "side": "long" if position.size > 0 else "short", "symbol": symbol,
            "price": position.entry, "fillTime": iso(position.opened or exchange.now()),
            "size": abs(position.size), "unrealizedFunding": accrued.get(symbol, ZERO),
            "pnlCurrency": "USD" if contract.linear else contract.base,
        }  # fmt: skip
        if symbol in account.leverage:
            row["maxFixedLeverage"] = account.leverage[symbol]
        rows.append(row)
    return sorted(rows, key=lambda r: str(r["fillTime"]), reverse=True)


def fee_schedules_view() -> list[dict[str, Any]]:
    """``feeSchedules[]``: the one schedule every contract uses."""
    tiers = [{"makerFee": m, "takerFee": t, "usdVolume": v} for v, m, t in TIERS]
    return [{"uid": FEE_SCHEDULE_UID, "name": "PGTMainFees", "tiers": tiers}]
