"""Kraken Futures REST replies -> domain types (tickers, books, trades, candles, funding, account).

The only module that reads market and account payloads; order payloads are read by
``orders/wire.py``. Numbers arrive as JSON numbers (decoded to Decimal) or strings; both
are accepted. A row missing what it must have raises ``MalformedResponseError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from src.brokers.kraken_futures.book import L2Book
from src.brokers.kraken_futures.symbols import ASSET_ALIASES, normalize_asset
from src.brokers.kraken_futures.timefmt import from_ms, parse_time
from src.core.decimals import to_decimal
from src.core.derivatives import DerivativeTicker, FundingPayment, FundingRate, MarginSummary
from src.core.errors import MalformedResponseError
from src.core.execution import AccountBalances, Balance
from src.core.futures_settlement import ContractSettlement
from src.core.market_data import Candle, PublicTrade

__all__ = [
    "dec",
    "opt_dec",
    "parse_accounts",
    "parse_candles",
    "parse_funding_payments",
    "parse_funding_rates",
    "parse_margin_summary",
    "parse_orderbook",
    "parse_ticker",
    "parse_trades",
    "rows",
]

T = TypeVar("T")
ZERO = Decimal(0)


def dec(value: Any, field: str) -> Decimal:
    """A required number (JSON number or string) as Decimal."""
    try:
        return to_decimal(value, field=field)
    except ValueError as exc:
        raise MalformedResponseError(str(exc)) from None


def opt_dec(value: Any, field: str) -> Decimal | None:
    """An optional number as Decimal (None when absent or null)."""
    return None if value is None else dec(value, field)


def rows(reply: Mapping[str, Any], key: str, endpoint: str) -> list[Mapping[str, Any]]:
    """``reply[key]`` checked to be a list of objects."""
    value = reply.get(key)
    if not isinstance(value, list) or not all(isinstance(r, Mapping) for r in value):
        raise MalformedResponseError(f"{endpoint}: {key!r} is not a list of objects")
    return value


def each(
    items: list[Mapping[str, Any]], build: Callable[[Mapping[str, Any]], T], what: str
) -> list[T]:
    """Build every row, naming the row kind when one is malformed."""
    try:
        return [build(r) for r in items]
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedResponseError(f"{what}: malformed row ({exc!r})") from None


def _time(value: Any) -> datetime:
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return from_ms(int(value))
    return parse_time(str(value))


def parse_ticker(raw: Mapping[str, Any], now: datetime) -> DerivativeTicker:
    """One ``tickers[]`` row (index rows carry only ``last``)."""
    last_time = raw.get("lastTime")
    return DerivativeTicker(
        symbol=str(raw["symbol"]).upper(),
        timestamp=_time(last_time) if last_time else now,
        bid=opt_dec(raw.get("bid"), "bid"),
        ask=opt_dec(raw.get("ask"), "ask"),
        last=opt_dec(raw.get("last"), "last"),
        mark_price=opt_dec(raw.get("markPrice"), "markPrice"),
        index_price=opt_dec(raw.get("indexPrice"), "indexPrice"),
        funding_rate=opt_dec(raw.get("fundingRate"), "fundingRate"),
        funding_rate_prediction=opt_dec(raw.get("fundingRatePrediction"), "fundingRatePrediction"),
        open_interest=opt_dec(raw.get("openInterest"), "openInterest"),
        volume_24h=opt_dec(raw.get("vol24h"), "vol24h"),
        suspended=bool(raw.get("suspended", False)),
        post_only=bool(raw.get("postOnly", False)),
    )


def parse_orderbook(reply: Mapping[str, Any], symbol: str) -> L2Book:
    """``orderBook{bids,asks}`` of ``[price, size]`` pairs as a (seq-less) valid book."""
    raw = reply.get("orderBook")
    if not isinstance(raw, Mapping):
        raise MalformedResponseError("orderbook: no orderBook object", endpoint="orderbook")
    book = L2Book(symbol.upper())
    try:
        bids = [(dec(p, "price"), dec(q, "size")) for p, q in raw.get("bids", [])]
        asks = [(dec(p, "price"), dec(q, "size")) for p, q in raw.get("asks", [])]
    except (TypeError, ValueError) as exc:
        raise MalformedResponseError(f"orderbook: bad level ({exc})") from None
    server = reply.get("serverTime")
    book.load(bids, asks, timestamp=parse_time(server) if isinstance(server, str) else None)
    return book


def parse_trades(reply: Mapping[str, Any], symbol: str) -> list[PublicTrade]:
    """``history[]`` (newest first on the wire) as trades, oldest first."""

    def build(r: Mapping[str, Any]) -> PublicTrade:
        return PublicTrade(
            symbol=symbol.upper(),
            price=dec(r["price"], "price"),
            quantity=dec(r["size"], "size"),
            side=str(r.get("side", "")),
            timestamp=_time(r["time"]),
            trade_id=str(r.get("uid") or r.get("trade_id")),
        )

    trades = each(rows(reply, "history", "history"), build, "history")
    return sorted(trades, key=lambda t: t.timestamp)


def parse_candles(reply: Mapping[str, Any], symbol: str, minutes: int) -> list[Candle]:
    """Charts ``candles[]`` (time in epoch ms, prices as strings) as candles."""

    def build(r: Mapping[str, Any]) -> Candle:
        return Candle(
            symbol=symbol.upper(),
            interval_minutes=minutes,
            timestamp=from_ms(int(r["time"])),
            open=dec(r["open"], "open"),
            high=dec(r["high"], "high"),
            low=dec(r["low"], "low"),
            close=dec(r["close"], "close"),
            volume=dec(r.get("volume", 0), "volume"),
        )

    return each(rows(reply, "candles", "charts"), build, "charts")


def parse_funding_rates(reply: Mapping[str, Any], symbol: str) -> list[FundingRate]:
    """``rates[]`` of ``{timestamp, fundingRate, relativeFundingRate}``."""

    def build(r: Mapping[str, Any]) -> FundingRate:
        return FundingRate(
            symbol=symbol.upper(),
            timestamp=_time(r["timestamp"]),
            absolute_rate=dec(r["fundingRate"], "fundingRate"),
            relative_rate=dec(r["relativeFundingRate"], "relativeFundingRate"),
        )

    return each(rows(reply, "rates", "historical-funding-rates"), build, "funding rates")


def parse_margin_summary(flex: Mapping[str, Any], currency: str = "USD") -> MarginSummary:
    """The ``flex`` (multi-collateral) account's USD figures."""

    def get(key: str) -> Decimal:
        return dec(flex.get(key, 0), key)

    return MarginSummary(
        currency=currency,
        balance_value=get("balanceValue"),
        portfolio_value=get("portfolioValue"),
        collateral_value=get("collateralValue"),
        initial_margin=get("initialMargin"),
        initial_margin_with_orders=get("initialMarginWithOrders"),
        maintenance_margin=get("maintenanceMargin"),
        unrealized_pnl=get("pnl"),
        unrealized_funding=get("unrealizedFunding"),
        margin_equity=get("marginEquity"),
        available_margin=get("availableMargin"),
    )


def _margin_wallet_summary(name: str, raw: Mapping[str, Any]) -> MarginSummary:
    aux = raw.get("auxiliary") or {}
    req = raw.get("marginRequirements") or {}
    currency = normalize_asset(str(raw.get("currency", name.split("_")[-1][:3])))
    balance = dec((raw.get("balances") or {}).get(str(raw.get("currency", "")), 0), "balance")
    pv, pnl = dec(aux.get("pv", 0), "pv"), dec(aux.get("pnl", 0), "pnl")
    im, mm = dec(req.get("im", 0), "im"), dec(req.get("mm", 0), "mm")
    return MarginSummary(
        currency=currency,
        balance_value=balance,
        portfolio_value=pv,
        collateral_value=balance,
        initial_margin=im,
        initial_margin_with_orders=im,
        maintenance_margin=mm,
        unrealized_pnl=pnl,
        unrealized_funding=dec(aux.get("funding", 0), "funding"),
        margin_equity=pv,
        available_margin=dec(aux.get("af", 0), "af"),
    )


def parse_accounts(
    reply: Mapping[str, Any],
) -> tuple[AccountBalances, dict[str, MarginSummary]]:
    """Balances (flex currencies and margin-wallet collateral) and each account's margin.

    Balances are the flex account's ``currencies.*.quantity`` (``hold`` = quantity less
    ``available``) plus each single-collateral margin wallet's own currency; the cash (spot
    transfer) wallet is not trading collateral and is left out.
    """
    accounts = reply.get("accounts")
    if not isinstance(accounts, Mapping):
        raise MalformedResponseError("accounts: no accounts object", endpoint="accounts")
    totals: dict[str, tuple[Decimal, Decimal]] = {}
    summaries: dict[str, MarginSummary] = {}
    for name, raw in accounts.items():
        if not isinstance(raw, Mapping):
            raise MalformedResponseError(f"accounts: {name!r} is not an object")
        kind = raw.get("type")
        if kind == "multiCollateralMarginAccount":
            for code, cur in (raw.get("currencies") or {}).items():
                qty = dec(cur.get("quantity", 0), "quantity")
                avail = dec(cur.get("available", qty), "available")
                _add(totals, normalize_asset(code), qty, qty - avail)
            summaries[name] = parse_margin_summary(raw)
        elif kind == "marginAccount":
            summary = _margin_wallet_summary(name, raw)
            hold = max(ZERO, summary.balance_value - summary.available_margin)
            _add(totals, summary.currency, summary.balance_value, hold)
            summaries[name] = summary
    balances = [Balance(asset=a, total=t, hold=h) for a, (t, h) in sorted(totals.items())]
    aliases = {k: v for k, v in ASSET_ALIASES.items()}
    return AccountBalances(balances, aliases=aliases), summaries


def _add(
    totals: dict[str, tuple[Decimal, Decimal]], asset: str, qty: Decimal, hold: Decimal
) -> None:
    total, held = totals.get(asset, (ZERO, ZERO))
    totals[asset] = (total + qty, held + max(ZERO, hold))


def parse_funding_payments(reply: Mapping[str, Any]) -> list[FundingPayment]:
    """``account-log`` rows with ``info: funding rate change`` as payments, oldest first."""
    logs = reply.get("logs")
    if not isinstance(logs, list):
        raise MalformedResponseError("account-log: no logs list", endpoint="account-log")
    out = []
    for row in logs:
        if not isinstance(row, Mapping) or row.get("info") != "funding rate change":
            continue
        amount = dec(row.get("realized_funding", 0), "realized_funding")
        rate = opt_dec(row.get("funding_rate"), "funding_rate")
        out.append(
            FundingPayment(
                symbol=str(row.get("contract", "")).upper(),
                timestamp=_time(row["date"]),
                amount=amount,
                currency=normalize_asset(str(row.get("asset", "USD"))),
                absolute_rate=rate,
                quantity=-amount / rate if rate else None,
                mark_price=opt_dec(row.get("mark_price"), "mark_price"),
            )
        )
    return sorted(out, key=lambda p: p.timestamp)


def parse_settlements(reply: Mapping[str, Any]) -> list[ContractSettlement]:
    """``account-log`` rows with ``info: settlement`` (a dated contract's expiry), oldest first.

    Kraken writes each execution as a cash leg and a position leg (``asset`` = the
    contract); the cash leg carries the price, fee and PnL, so only it is read.
    """
    logs = reply.get("logs")
    if not isinstance(logs, list):
        raise MalformedResponseError("account-log: no logs list", endpoint="account-log")
    out = []
    for row in logs:
        if not isinstance(row, Mapping) or row.get("info") != "settlement":
            continue
        contract = str(row.get("contract") or "").upper()
        asset = str(row.get("asset") or "")
        if not contract or asset.upper() == contract or row.get("trade_price") is None:
            continue
        out.append(
            ContractSettlement(
                symbol=contract,
                timestamp=_time(row["date"]),
                price=dec(row["trade_price"], "trade_price"),
                fee=opt_dec(row.get("fee"), "fee") or ZERO,
                currency=normalize_asset(asset),
                realized_pnl=opt_dec(row.get("realized_pnl"), "realized_pnl"),
                venue_id=None if row.get("id") is None else str(row["id"]),
            )
        )
    return sorted(out, key=lambda s: s.timestamp)
