"""Where things are, independent of how deep a test file sits in ``tests/``."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository
FIXTURES = ROOT / "tests" / "fixtures"  # recorded payloads (kraken/, alpaca/)
EXAMPLES = ROOT / "examples"
MARKET_DATA = ROOT / "data" / "market"  # shipped candles

__all__ = ["EXAMPLES", "FIXTURES", "MARKET_DATA", "ROOT"]
