"""Positions and balances after a fill, funding or settlement; the account log that records them.

A fill at ``price`` for ``qty`` either extends the position (new weighted-average entry) or
reduces it, realising ``pnl(closed, entry, price)`` into the group's balance: USD in the flex
account for linear contracts, the base currency's wallet for inverse ones. Fees come out of
the same balance. When a loss would take a balance below zero the balance stops at zero and
the shortfall is recorded as ``equity_protection`` ("an account can never go negative").
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from src.venues.kraken_futures_paper.contracts import Contract
from src.venues.kraken_futures_paper.margin import group_of
from src.venues.kraken_futures_paper.state import Account, LogEntry

__all__ = ["apply_fill", "credit", "settlement_balance"]

ZERO = Decimal(0)


def settlement_balance(account: Account, contract: Contract) -> Decimal:
    """The balance the contract settles into."""
    if contract.linear:
        return account.flex.get("USD", ZERO)
    return account.wallets.get(contract.base, ZERO)


def credit(
    account: Account,
    contract: Contract,
    amount: Decimal,
    when: datetime,
    info: str,
    **fields: Decimal | str | None,
) -> LogEntry:
    """Add ``amount`` (negative: debit) to the settlement balance and log it."""
    old = settlement_balance(account, contract)
    new = old + amount
    if new < 0:
        account.equity_protection += -new
        new = ZERO
    if contract.linear:
        account.flex["USD"] = new
        asset = "USD"
    else:
        account.wallets[contract.base] = new
        asset = contract.base.lower()
    entry = LogEntry(
        id=len(account.log) + 1, date=when, asset=asset, info=info, old_balance=old,
        new_balance=new, contract=contract.symbol, margin_account=group_of(contract),
        **fields,  # type: ignore[arg-type]
    )  # fmt: skip
    account.log.append(entry)
    return entry


def apply_fill(
    account: Account,
    contract: Contract,
    side: str,
    qty: Decimal,
    price: Decimal,
    fee: Decimal,
    when: datetime,
    info: str = "futures trade",
) -> Decimal:
    """Move the position by a fill; realise PnL and charge the fee. Returns realised PnL."""
    position = account.position(contract.symbol)
    signed = qty if side == "buy" else -qty
    size, entry = position.size, position.entry
    realized = ZERO
    if size == 0 or (size > 0) == (signed > 0):
        total = size + signed
        if contract.linear:
            entry = (abs(size) * entry + qty * price) / abs(total)
        else:  # inverse: average entry is the harmonic mean (contracts are dollars)
            entry = abs(total) / (abs(size) / entry + qty / price) if size else price
        size = total
    else:
        closed = min(abs(signed), abs(size))
        direction = Decimal(1) if size > 0 else Decimal(-1)
        realized = contract.pnl(closed * direction, entry, price)
        size += signed
        if size == 0:
            entry = ZERO
        elif (size > 0) != (direction > 0):
            entry = price  # crossed through zero: the remainder opens here
    position.size, position.entry = size, entry
    if position.opened is None and size != 0:
        position.opened = when
    if size == 0:
        position.opened = None
    account.volume_usd += contract.usd_notional(qty, price)
    credit(
        account, contract, realized - fee, when, info,
        realized_pnl=realized, fee=fee, trade_price=price,
    )  # fmt: skip
    return realized
