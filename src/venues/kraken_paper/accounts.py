"""Paper accounts: balances, holds for open orders, ledger entries and 30-day volume."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_UP, Decimal
from typing import Any

from src.venues.kraken_paper.orders import PaperOrder, fmt, new_id
from src.venues.kraken_paper.pairs import asset_decimals

DEFAULT_BALANCES: dict[str, Decimal] = {
    "ZUSD": Decimal("10000"),
    "XXBT": Decimal("0.5"),
    "XETH": Decimal("5"),
    "SOL": Decimal("50"),
    "XXRP": Decimal("5000"),
    "XXDG": Decimal("20000"),
}


@dataclass
class LedgerEntry:
    """One balance change, as Kraken's Ledgers endpoint reports it."""

    id: str
    refid: str
    time: float
    type: str
    subtype: str
    asset: str
    amount: Decimal
    fee: Decimal
    balance: Decimal

    def to_kraken(self) -> dict[str, Any]:
        """The entry as the Ledgers endpoint returns it."""
        d = asset_decimals(self.asset)
        return {
            "refid": self.refid,
            "time": self.time,
            "type": self.type,
            "subtype": self.subtype,
            "aclass": "currency",
            "asset": self.asset,
            "amount": fmt(self.amount, d),
            "fee": fmt(self.fee, d),
            "balance": fmt(self.balance, d),
        }


@dataclass
class Account:
    """Balances (total, including held funds) and the ledger of one paper account."""

    id: str
    balances: dict[str, Decimal] = field(default_factory=dict)
    ledger: list[LedgerEntry] = field(default_factory=list)
    volume_usd: Decimal = Decimal(0)
    initial: dict[str, Decimal] = field(default_factory=dict)

    def post(
        self,
        asset: str,
        amount: Decimal,
        fee: Decimal,
        refid: str,
        now: float,
        type_: str = "trade",
    ) -> LedgerEntry:
        """Apply ``amount - fee`` to ``asset`` and record a ledger entry."""
        new_balance = self.balances.get(asset, Decimal(0)) + amount - fee
        self.balances[asset] = new_balance
        entry = LedgerEntry(new_id("L"), refid, now, type_, "", asset, amount, fee, new_balance)
        self.ledger.append(entry)
        return entry


def order_hold(order: PaperOrder, fee_pct: Decimal) -> tuple[str, Decimal]:
    """The asset and amount an open order reserves for its unfilled part."""
    spec = order.spec
    rem = order.remaining
    if order.side == "sell":
        extra = rem * fee_pct / 100 if order.fee_in_base else Decimal(0)
        return spec.base, rem + extra
    price = order.limit_price or order.price or Decimal(0)
    notional = rem * price
    extra = Decimal(0) if order.fee_in_base else notional * fee_pct / 100
    return spec.quote, quantize_up(notional + extra, asset_decimals(spec.quote))


def quantize_up(value: Decimal, decimals: int) -> Decimal:
    """Round up to ``decimals`` places (holds and fees never under-reserve)."""
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_UP)
