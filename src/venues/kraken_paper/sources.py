"""Market sources driving the paper exchange: candle replay, seeded synthetic process, mirror."""

from __future__ import annotations

import csv
import functools
import math
import random
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from src.venues.kraken_paper.events import Level
from src.venues.kraken_paper.market import Candle
from src.venues.kraken_paper.pairs import ORIGINAL, PAIRS, PairSpec

DATA_DIR = Path(__file__).resolve().parents[3] / "data" / "market"
REPLAY_FILES = {
    "XXBTZUSD": "kraken-ohlcvt-60m/XBTUSD_60_2021_2023.csv",
    "XETHZUSD": "kraken-ohlcvt-60m/ETHUSD_60_2021_2023.csv",
}
SECONDS_PER_YEAR = 365 * 86400
SYNTH_VOL = 0.6  # annualised volatility of the synthetic process


@dataclass
class Tick:
    """New public market data for one pair: trades (price, qty, taker side) and maybe a book."""

    pair_key: str
    trades: list[tuple[Decimal, Decimal, str]]
    book: tuple[list[Level], list[Level]] | None = None


class MarketSource(Protocol):
    """What the exchange needs from a market source."""

    async def backfill(self, now: float, minutes: int) -> dict[str, list[Candle]]:
        """Per pair, the last ``minutes`` 1-minute candles before ``now``."""

    async def step(
        self, sim_dt: float, now: float, extra: dict[str, float] | None = None
    ) -> list[Tick]:
        """Advance ``sim_dt`` seconds; return the new trades (and books) per pair.

        The original pairs always move; ``extra`` names other pairs to move this step, each
        with the market seconds since it last moved (the exchange spreads them over steps).
        """

    def backfill_one(self, key: str, now: float, minutes: int) -> list[Candle]:
        """History for a pair whose market is made on first use (any pair beyond the six)."""

    def label(self, key: str) -> str:
        """Where a pair's prices come from: replay, derived, synthetic or mirror."""

    async def aclose(self) -> None:
        """Release the source's resources."""

    def state(self) -> dict[str, Any]:
        """Where the source is (JSON-able), for ``restore`` after a restart."""

    def restore(self, state: dict[str, Any]) -> None:
        """Continue from ``state``; the next ``backfill`` then ends where the source was."""


def _dec(x: float) -> Decimal:
    return Decimal(repr(round(x, 10)))


Paths = dict[str, list[list[float]]]  # per pair, one 5-point price path per minute


def _candles(paths: Paths, now: float) -> dict[str, list[Candle]]:
    """1-minute candles from per-minute price paths, the last one ending at ``now``."""
    out: dict[str, list[Candle]] = {}
    for key, minutes in paths.items():
        start = int(now // 60 * 60) - len(minutes) * 60
        vol = PAIRS[key].typical_trade * 4
        out[key] = [
            Candle(start + 60 * m, _dec(path[0]), _dec(max(path)), _dec(min(path)),
                   _dec(path[-1]), _dec(sum(path) / len(path)) * vol, vol, 4)
            for m, path in enumerate(minutes)
        ]  # fmt: skip
    return out


def walk_candles(
    spec: PairSpec, start: float, minutes: int, now: float, seed: int, end: float | None
) -> tuple[list[Candle], float]:
    """``minutes`` on-tick candles of a seeded GBM walk (4 points a minute) ending at ``now``.

    With ``end`` the walk is scaled to finish there (a scaled GBM path is one too). Returns
    the candles and the walk's last price.
    """
    sigma = SYNTH_VOL * math.sqrt(15.0 / SECONDS_PER_YEAR)
    steps = sigma * np.random.default_rng(seed).standard_normal(minutes * 4) - sigma**2 / 2
    path = start * np.exp(np.concatenate(([0.0], np.cumsum(steps))))
    if end is not None and path[-1]:
        path *= end / path[-1]
    points = path[1:].reshape(minutes, 4)
    opens = path[:-1:4]
    tick = float(spec.tick_size)

    def on_tick(values: Any) -> list[int]:
        ticks: list[int] = np.maximum(np.rint(values / tick), 1).astype(np.int64).tolist()
        return ticks

    o, h = on_tick(opens), on_tick(np.maximum(opens, points.max(axis=1)))
    lo, c = on_tick(np.minimum(opens, points.min(axis=1))), on_tick(points[:, 3])
    vwaps: list[float] = np.round((opens + points.sum(axis=1)) / 5, 10).tolist()
    first = int(now // 60 * 60) - minutes * 60
    vol, t = spec.typical_trade * 4, spec.tick_size
    candles = [
        Candle(first + 60 * m, o[m] * t, h[m] * t, lo[m] * t, c[m] * t,
               Decimal(repr(vwaps[m])) * vol, vol, 4)
        for m in range(minutes)
    ]  # fmt: skip
    return candles, float(path[-1])


@dataclass
class SyntheticSource:
    """Seeded geometric Brownian motion per pair, starting at each pair's reference price.

    The original six pairs share one random stream (as they always did); every other pair,
    added on first use, walks its own stream seeded by the seed, restart count and pair key,
    so whether and when other pairs appear does not change the six. After ``restore`` each
    walk continues from its saved price and the next backfill ends there.
    """

    seed: int = 1
    prices: dict[str, float] = field(default_factory=dict)
    rng: random.Random = field(init=False)
    restarts: int = 0
    resuming: bool = False
    keys: list[str] = field(default_factory=lambda: [k for k in ORIGINAL if k in PAIRS])
    _saved: dict[str, float] = field(default_factory=dict)
    _rngs: dict[str, random.Random] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        for key in self.keys:
            self.prices.setdefault(key, float(PAIRS[key].start_price))

    def _rng(self, key: str) -> random.Random:
        if key in ORIGINAL:
            return self.rng
        if key not in self._rngs:
            self._rngs[key] = random.Random(f"{self.seed}/{self.restarts}/{key}")
        return self._rngs[key]

    def _advance(self, key: str, dt: float) -> float:
        sigma = SYNTH_VOL * math.sqrt(max(dt, 1e-9) / SECONDS_PER_YEAR)
        self.prices[key] *= math.exp(sigma * self._rng(key).gauss(0.0, 1.0) - sigma * sigma / 2)
        return self.prices[key]

    def _trade(self, key: str, old: float, new: float) -> Tick:
        spec = PAIRS[key]
        qty = spec.typical_trade * _dec(0.2 + self._rng(key).random())
        side = "buy" if new >= old else "sell"
        return Tick(key, [(_dec(new), qty, side)])

    def label(self, key: str) -> str:
        """Every pair here is synthetic."""
        return "synthetic"

    def state(self) -> dict[str, Any]:
        """The last prices (pairs not made since a restart keep theirs) and the restart count."""
        return {"prices": {**self._saved, **self.prices}, "restarts": self.restarts}

    def restore(self, state: dict[str, Any]) -> None:
        """Continue from saved prices, with a fresh random stream for this restart."""
        saved = {k: float(v) for k, v in (state.get("prices") or {}).items() if k in PAIRS}
        self._saved = saved
        self.prices.update({k: v for k, v in saved.items() if k in self.keys})
        self.restarts = int(state.get("restarts", 0)) + 1
        self.rng = random.Random(f"{self.seed}/{self.restarts}")
        self._rngs.clear()
        self.resuming = True

    def _walk(self, key: str) -> list[float]:
        return [self.prices[key]] + [self._advance(key, 15.0) for _ in range(4)]

    def _paths(self, minutes: int) -> Paths:
        paths: Paths = {k: [] for k in self.keys}
        for _ in range(minutes):
            for key in self.keys:
                paths[key].append(self._walk(key))
        return paths

    def _end_at(self, paths: Paths, targets: dict[str, float]) -> None:
        """Scale each resumed path to end at its saved price (a scaled GBM path is one too)."""
        for key, rows in paths.items():
            if key not in targets:
                continue
            end = rows[-1][-1] if rows else targets[key]
            ratio = targets[key] / end if end else 1.0
            if ratio != 1.0:
                paths[key] = [[p * ratio for p in path] for path in rows]
            self.prices[key] = paths[key][-1][-1] if rows else targets[key]

    async def backfill(self, now: float, minutes: int) -> dict[str, list[Candle]]:
        """``minutes`` candles per pair ending at ``now``; after a restore, at the saved prices.

        A fresh source walks forward from its prices (where it then is). A restored one
        walks too, then scales each path so it ends at the saved price, so the market goes on
        from where it was rather than from the walk's end.
        """
        target = dict(self.prices)
        paths = self._paths(minutes)
        self._end_at(paths, target if self.resuming else {})
        self.resuming = False
        return _candles(paths, now)

    def backfill_one(self, key: str, now: float, minutes: int) -> list[Candle]:
        """A pair made on first use: its own walk, ending at its saved price if it had one.

        Vectorised (numpy) and put on the tick as it is built: a no-pair Ticker builds all
        683 markets at once, which must take about a second, not minutes.
        """
        if key not in self.keys:
            self.keys.append(key)
        saved = self._saved.pop(key, None)
        start = float(PAIRS[key].start_price)
        seed = zlib.crc32(f"{self.seed}/{self.restarts}/{key}".encode())
        candles, last = walk_candles(PAIRS[key], start, minutes, now, seed, saved)
        self.prices[key] = last
        return candles

    async def step(
        self, sim_dt: float, now: float, extra: dict[str, float] | None = None
    ) -> list[Tick]:
        """Walk the original pairs ``sim_dt`` seconds (``extra`` pairs their own spans)."""
        ticks = []
        for key, dt in [(k, sim_dt) for k in ORIGINAL if k in self.keys] + list(
            (extra or {}).items()
        ):
            old = self.prices[key]
            ticks.append(self._trade(key, old, self._advance(key, dt)))
        return ticks

    async def aclose(self) -> None:
        """Nothing to release."""
        return None


@functools.lru_cache(maxsize=8)
def load_hourly(path: Path, limit: int = 50_000) -> list[tuple[int, float, float, float, float]]:
    """Read Kraken OHLCVT rows ``time,open,high,low,close,...`` (headerless); cached, read-only."""
    rows: list[tuple[int, float, float, float, float]] = []
    with path.open() as fh:
        for row in csv.reader(fh):
            if len(rows) >= limit:
                break
            rows.append((int(row[0]), float(row[1]), float(row[2]), float(row[3]), float(row[4])))
    return rows


@dataclass
class ReplaySource(SyntheticSource):
    """Replays real Kraken hourly candles for BTC/USD and ETH/USD (ETH/BTC is their ratio).

    Each candle becomes a path open → low → high → close (open → high → low → close for a
    falling candle) traversed linearly; pairs without recorded data follow the seeded synthetic
    process. ``sim`` seconds elapse ``speed`` times faster than real time (the exchange scales).
    """

    sim_t: float = 0.0
    candles: dict[str, list[tuple[int, float, float, float, float]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__post_init__()
        for key, rel in REPLAY_FILES.items():
            self.candles[key] = load_hourly(DATA_DIR / rel)
        self.sim_t = float(self.candles["XXBTZUSD"][0][0])

    def _replay_price(self, key: str, t: float) -> float:
        rows = self.candles[key]
        # Past the end of the data the replay starts over from the first candle.
        t = rows[0][0] + (t - rows[0][0]) % (rows[-1][0] + 3600 - rows[0][0])
        idx = min(max(int((t - rows[0][0]) // 3600), 0), len(rows) - 1)
        _, o, h, lo, c = rows[idx]
        frac = min(max((t - rows[idx][0]) / 3600.0, 0.0), 1.0)
        points = [o, lo, h, c] if c >= o else [o, h, lo, c]
        pos = frac * 3
        seg = min(int(pos), 2)
        return points[seg] + (points[seg + 1] - points[seg]) * (pos - seg)

    def _price(self, key: str, t: float, dt: float) -> float:
        if key in self.candles:
            return self._replay_price(key, t)
        if key == "XETHXXBT":
            return self._replay_price("XETHZUSD", t) / self._replay_price("XXBTZUSD", t)
        return self._advance(key, dt)

    def state(self) -> dict[str, Any]:
        """The replay cursor (market seconds) besides the synthetic pairs' prices."""
        return {**super().state(), "sim_t": self.sim_t}

    def restore(self, state: dict[str, Any]) -> None:
        """Continue the replay at the saved cursor."""
        super().restore(state)
        if state.get("sim_t") is not None:
            self.sim_t = float(state["sim_t"])

    def label(self, key: str) -> str:
        """``replay`` (BTC/USD, ETH/USD), ``derived`` (ETH/BTC, their ratio), else synthetic."""
        if key in self.candles:
            return "replay"
        return "derived" if key == "XETHXXBT" else "synthetic"

    def _paths(self, minutes: int) -> Paths:
        if self.resuming:  # replay the minutes that led up to the cursor, to end there
            self.sim_t -= minutes * 60
        paths: Paths = {k: [] for k in self.keys}
        for _ in range(minutes):
            for key in self.keys:
                paths[key].append([self._price(key, self.sim_t + 15 * i, 15.0) for i in range(5)])
            self.sim_t += 60
        return paths

    async def step(
        self, sim_dt: float, now: float, extra: dict[str, float] | None = None
    ) -> list[Tick]:
        """Advance the replay ``sim_dt`` seconds: one trade per original pair and ``extra`` one."""
        self.sim_t += sim_dt
        ticks = []
        for key, dt in [(k, sim_dt) for k in ORIGINAL if k in self.keys] + list(
            (extra or {}).items()
        ):
            old = self.prices[key]
            new = self._price(key, self.sim_t, dt)
            self.prices[key] = new
            ticks.append(self._trade(key, old, new))
        return ticks


__all__ = ["MarketSource", "ReplaySource", "SyntheticSource", "Tick"]
