"""Margin arithmetic of one account's margin group: equity, initial and maintenance margin.

Kraken defines the figures (spec ``FlexBalanceSummary``) but not its algorithm; this is the
stated model:

* a group is the flex account (every linear contract, USD) or one inverse wallet
  (``fi_xbtusd``: PI_XBTUSD and FI_XBTUSD_*, in XBT);
* collateral value = each flex currency at its index less a 2 % haircut (USD none), or the
  wallet balance;
* margin equity = collateral value + unrealised PnL at the mark + unrealised funding;
* initial/maintenance margin = the tier rate of each position's value at the mark; with an
  isolated ``maxLeverage`` the initial rate is at least ``1 / maxLeverage``;
* with orders: each contract's position is taken at its worst case (all open buys, or all
  open sells, filled; reduce-only orders never add);
* available margin = margin equity - initial margin with orders.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from src.venues.kraken_futures_paper.contracts import Contract
from src.venues.kraken_futures_paper.market import MarketState
from src.venues.kraken_futures_paper.state import Account, VenueOrder

__all__ = ["HAIRCUT", "Figures", "figures", "group_of"]

D = Decimal
ZERO = D(0)
HAIRCUT = D("0.02")
STABLE = frozenset({"USD", "USDT", "USDC"})


def group_of(contract: Contract) -> str:
    """``flex`` for linear contracts, ``fi_<base>usd`` for inverse ones."""
    return "flex" if contract.linear else f"fi_{contract.base.lower()}usd"


@dataclass
class Figures:
    """One margin group's figures, in its currency."""

    group: str
    currency: str
    balance_value: Decimal
    collateral: Decimal
    pnl: Decimal
    unrealized_funding: Decimal
    initial: Decimal
    initial_with_orders: Decimal
    maintenance: Decimal

    @property
    def equity(self) -> Decimal:
        """Margin equity."""
        return self.collateral + self.pnl + self.unrealized_funding

    @property
    def portfolio_value(self) -> Decimal:
        """Balance value plus unrealised PnL."""
        return self.balance_value + self.pnl + self.unrealized_funding

    @property
    def available(self) -> Decimal:
        """Margin equity less initial margin with orders."""
        return self.equity - self.initial_with_orders


def _rates(
    contract: Contract, account: Account, size: Decimal, price: Decimal
) -> tuple[Decimal, Decimal]:
    im, mm = contract.rates(size, price)
    leverage = account.leverage.get(contract.symbol)
    if leverage:
        im = max(im, 1 / leverage)
    return im, mm


def _collateral(
    account: Account, group: str, indices: Mapping[str, Decimal]
) -> tuple[Decimal, Decimal]:
    if group != "flex":
        base = group.removeprefix("fi_").removesuffix("usd").upper()
        balance = account.wallets.get(base, ZERO)
        return balance, balance
    value = collateral = ZERO
    for currency, qty in account.flex.items():
        price = D(1) if currency in STABLE else indices.get(currency, ZERO)
        value += qty * price
        collateral += qty * price * (1 if currency in STABLE else 1 - HAIRCUT)
    return value, collateral


def figures(
    account: Account,
    group: str,
    contracts: Mapping[str, Contract],
    markets: Mapping[str, MarketState],
    now: datetime,
    orders: Iterable[VenueOrder],
    accrued: Mapping[str, Decimal] | None = None,
    extra: VenueOrder | None = None,
) -> Figures:
    """The figures of ``account``'s ``group``, optionally as if ``extra`` were also open."""
    indices = {m.contract.base: m.index for m in markets.values()}
    balance, collateral = _collateral(account, group, indices)
    members = [c for c in contracts.values() if group_of(c) == group]
    working = [o for o in orders if o.account == account.id and o.is_open and not o.reduce_only]
    if extra is not None and not extra.reduce_only:
        working.append(extra)
    pnl = funding = initial = with_orders = maintenance = ZERO
    for contract in members:
        mark = markets[contract.symbol].mark(now)
        position = account.positions.get(contract.symbol)
        size = position.size if position else ZERO
        if size:
            assert position is not None
            pnl += contract.pnl(size, position.entry, mark)
            funding += (accrued or {}).get(contract.symbol, ZERO)
            im, mm = _rates(contract, account, size, mark)
            initial += contract.value(size, mark) * im
            maintenance += contract.value(size, mark) * mm
        mine = [o for o in working if o.symbol == contract.symbol]
        buys = sum((o.unfilled for o in mine if o.side == "buy"), ZERO)
        sells = sum((o.unfilled for o in mine if o.side == "sell"), ZERO)
        worst = max(abs(size + buys), abs(size - sells))
        if worst:
            im, _ = _rates(contract, account, worst, mark)
            with_orders += contract.value(worst, mark) * im
    currency = "USD" if group == "flex" else group.removeprefix("fi_").removesuffix("usd").upper()
    return Figures(
        group, currency, balance, collateral, pnl, funding, initial, with_orders, maintenance
    )
