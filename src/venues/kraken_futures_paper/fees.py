"""The venue's fee schedule: Kraken's tier ladder, maker/taker by 30-day USD volume.

Percentages from the spec's ``FeeSchedulesExample`` (PGTMainFees): tier 0 maker 0.02 %,
taker 0.05 %. Fees are charged on the fill's value in the settlement currency.
"""

from __future__ import annotations

from decimal import Decimal

__all__ = ["TIERS", "rates_for"]

D = Decimal
#: (30-day USD volume floor, maker %, taker %).
TIERS: tuple[tuple[Decimal, Decimal, Decimal], ...] = (
    (D(0), D("0.02"), D("0.05")),
    (D(100000), D("0.015"), D("0.04")),
    (D(1000000), D("0.0125"), D("0.03")),
    (D(5000000), D("0.01"), D("0.025")),
    (D(10000000), D("0.0075"), D("0.02")),
    (D(20000000), D("0.005"), D("0.015")),
    (D(50000000), D("0.0025"), D("0.0125")),
    (D(100000000), D("0"), D("0.01")),
)


def rates_for(volume_usd: Decimal) -> tuple[Decimal, Decimal]:
    """(maker, taker) as fractions for an account with ``volume_usd`` of 30-day volume."""
    maker, taker = TIERS[0][1], TIERS[0][2]
    for floor, tier_maker, tier_taker in TIERS:
        if volume_usd >= floor:
            maker, taker = tier_maker, tier_taker
    return maker / 100, taker / 100
