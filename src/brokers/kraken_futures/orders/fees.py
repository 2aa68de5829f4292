"""Fee rates from ``/feeschedules`` and ``/feeschedules/volumes``, to price fills REST leaves bare.

``GET /fills`` carries no fee (ccxt computes them from tables too), so a fill read over REST is
priced here: the instrument's ``feeScheduleUid`` picks a schedule, the account's 30-day USD
volume on it picks the tier, ``makerFee``/``takerFee`` are percent of the fill's value in the
settlement currency. WebSocket fills carry Kraken's own ``fee_paid`` and need none of this.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from src.brokers.kraken_futures.rest.parse import dec
from src.core.derivatives import DerivativeInstrument
from src.core.execution import Liquidity

__all__ = ["DEFAULT_MAKER", "DEFAULT_TAKER", "FeeBook"]

HUNDRED = Decimal(100)
#: Tier 0 of Kraken's schedules (spec FeeSchedulesExample): maker 0.02 %, taker 0.05 %.
DEFAULT_MAKER = Decimal("0.0002")
DEFAULT_TAKER = Decimal("0.0005")


@dataclass
class FeeBook:
    """Maker/taker rate per fee schedule at the account's volume tier.

    Attributes:
        schedules: schedule uid -> [(usd_volume floor, maker rate, taker rate)], sorted.
        volumes: schedule uid -> 30-day USD volume.
        schedule_of: symbol -> schedule uid.
    """

    schedules: dict[str, list[tuple[Decimal, Decimal, Decimal]]] = field(default_factory=dict)
    volumes: dict[str, Decimal] = field(default_factory=dict)
    schedule_of: dict[str, str] = field(default_factory=dict)

    def load_schedules(self, reply: Mapping[str, Any]) -> None:
        """Read ``feeSchedules[]`` (fees in percent)."""
        for schedule in reply.get("feeSchedules") or []:
            tiers = [
                (
                    dec(t.get("usdVolume", 0), "usdVolume"),
                    dec(t["makerFee"], "makerFee") / HUNDRED,
                    dec(t["takerFee"], "takerFee") / HUNDRED,
                )
                for t in schedule.get("tiers") or []
            ]
            self.schedules[str(schedule["uid"])] = sorted(tiers)

    def load_volumes(self, reply: Mapping[str, Any]) -> None:
        """Read ``volumesByFeeSchedule``."""
        for uid, volume in (reply.get("volumesByFeeSchedule") or {}).items():
            self.volumes[str(uid)] = dec(volume, "volume")

    def load_instruments(self, rows: list[Mapping[str, Any]]) -> None:
        """Remember each instrument's ``feeScheduleUid``."""
        for row in rows:
            uid = row.get("feeScheduleUid")
            if uid:
                self.schedule_of[str(row.get("symbol", "")).upper()] = str(uid)

    def rate(self, symbol: str, liquidity: Liquidity) -> Decimal:
        """The fee rate (fraction) for a fill on ``symbol``; tier-0 defaults when unknown."""
        uid = self.schedule_of.get(symbol.upper())
        tiers = self.schedules.get(uid or "")
        maker, taker = DEFAULT_MAKER, DEFAULT_TAKER
        if tiers:
            volume = self.volumes.get(uid or "", Decimal(0))
            for floor, tier_maker, tier_taker in tiers:
                if volume >= floor:
                    maker, taker = tier_maker, tier_taker
        return maker if liquidity is Liquidity.MAKER else taker

    def fee(
        self,
        instrument: DerivativeInstrument,
        quantity: Decimal,
        price: Decimal,
        liquidity: Liquidity,
    ) -> Decimal:
        """The fee of one fill, in the instrument's settlement currency."""
        value = instrument.settlement_value(quantity, price)
        return value * self.rate(instrument.symbol, liquidity)
