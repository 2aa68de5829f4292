"""``ktrade universe``: the tradable pairs, from Kraken's AssetPairs and Ticker, filtered.

Kept: pairs whose quote currency is one of ``quotes``, whose status is ``online``, whose 24 h
volume (in the quote currency: volume x VWAP) reaches ``min_volume_24h`` and whose spread is
at most ``max_spread_bps``, minus the bases and pairs the user's region rules out (Kraken's
API does not say which pairs a region may trade: the config's excludes do).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from src.cli.config import UniverseSection


@dataclass(frozen=True)
class Candidate:
    """One pair with the figures the filters look at."""

    symbol: str
    base: str
    quote: str
    status: str
    volume_24h: Decimal
    spread_bps: Decimal | None
    last: Decimal | None


def candidates(pairs: list[Any], tickers: dict[str, Any]) -> list[Candidate]:
    """Join AssetPairs (``PairInfo`` objects) with Ticker rows by pair key."""
    out = []
    for info in pairs:
        row = tickers.get(info.key) or {}
        try:
            bid, ask = Decimal(row["b"][0]), Decimal(row["a"][0])
            volume = Decimal(row["v"][1]) * Decimal(row["p"][1])
            last: Decimal | None = Decimal(row["c"][0])
        except (KeyError, IndexError, TypeError, ArithmeticError, ValueError):
            bid = ask = volume = Decimal(0)
            last = None
        mid = (bid + ask) / 2
        spread = (ask - bid) / mid * 10_000 if mid > 0 else None
        i = info.instrument
        out.append(Candidate(i.symbol, i.base, i.quote, str(i.status.value), volume, spread, last))
    return out


def apply_overrides(rules: UniverseSection, args: argparse.Namespace) -> UniverseSection:
    """The config's rules with the command line's options on top."""
    update: dict[str, Any] = {}
    if args.quote:
        update["quotes"] = [q.upper() for q in args.quote]
    if args.min_volume is not None:
        update["min_volume_24h"] = args.min_volume
    if args.max_spread_bps is not None:
        update["max_spread_bps"] = args.max_spread_bps
    if args.exclude_base:
        update["exclude_bases"] = [*rules.exclude_bases, *(b.upper() for b in args.exclude_base)]
    if args.max_pairs is not None:
        update["max_pairs"] = args.max_pairs
    return UniverseSection.model_validate({**rules.model_dump(), **update})


def why_not(c: Candidate, rules: UniverseSection) -> str | None:
    """The first rule a candidate fails, in words, or None when it is kept."""
    if c.quote not in rules.quotes:
        return f"quote {c.quote}"
    if c.status != "online":
        return f"status {c.status}"
    if c.base in rules.exclude_bases or c.symbol in rules.exclude_pairs:
        return "excluded by the config"
    if c.volume_24h < rules.min_volume_24h:
        return "24 h volume too low"
    if c.spread_bps is None or c.spread_bps > rules.max_spread_bps:
        return "spread too wide"
    return None


def choose(
    found: list[Candidate], rules: UniverseSection
) -> tuple[list[Candidate], dict[str, int]]:
    """The kept pairs, by 24 h volume, at most ``max_pairs``; and counts of why others were not."""
    kept: list[Candidate] = []
    reasons: dict[str, int] = {}
    for c in found:
        reason = why_not(c, rules)
        if reason is None:
            kept.append(c)
        elif not reason.startswith("quote"):  # other quotes are not worth counting
            reasons[reason] = reasons.get(reason, 0) + 1
    kept.sort(key=lambda c: c.volume_24h, reverse=True)
    if len(kept) > rules.max_pairs:
        reasons["beyond max_pairs"] = len(kept) - rules.max_pairs
    return kept[: rules.max_pairs], reasons
