"""How one walk-forward fold's training time and peak memory scale with pairs and bar interval.

Each case runs in a fresh process (so its peak RSS is its own): synthetic random-walk candles
for ``pairs`` pairs over ``days`` days at ``interval`` minutes, the default feature spec, the
default direction label, one fold (80 % train, 20 % test) fitted once plus 2 null draws with
50 LightGBM trees (``src.ml.pipeline.walk_forward``, what a search's outer job runs).

    .venv/bin/python benchmarks/bench_training_scale.py              # the whole grid
    .venv/bin/python benchmarks/bench_training_scale.py --case 4 60 365
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GRID = [(p, 60, 365) for p in (1, 2, 4, 8, 16)] + [(1, m, 90) for m in (60, 15, 5, 1)]


def _candles(pairs: int, interval: int, days: int):  # type: ignore[no-untyped-def]
    import numpy as np
    import polars as pl

    bars = days * 24 * 60 // interval
    start = datetime(2024, 1, 1, tzinfo=UTC)
    stamps = pl.datetime_range(
        start, start + timedelta(minutes=interval * (bars - 1)), f"{interval}m", eager=True
    )
    frames = []
    for k in range(pairs):
        rng = np.random.default_rng(k)
        close = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.002 * (interval / 60) ** 0.5, bars)))
        spread = np.abs(rng.normal(0, 0.001, bars)) * close
        frames.append(
            pl.DataFrame(
                {
                    "timestamp": stamps,
                    "open": np.r_[close[0], close[:-1]],
                    "high": close + spread,
                    "low": close - spread,
                    "close": close,
                    "volume": rng.lognormal(0, 1, bars),
                    "trades": rng.integers(1, 100, bars),
                    "pair": f"P{k}/USD",
                }
            )
        )
    return pl.concat(frames)


def run_case(pairs: int, interval: int, days: int) -> dict[str, float]:
    """Time features + labels and one fold's fits; return the figures and this process' RSS."""
    sys.path.insert(0, str(ROOT))
    from src.ml.config import ExperimentConfig
    from src.ml.dataset import build_dataset
    from src.ml.features import default_spec
    from src.ml.pipeline import Layout, walk_forward
    from src.ml.splits import Fold

    candles = _candles(pairs, interval, days)
    config = ExperimentConfig.model_validate(
        {
            "data": {"pairs": [f"P{k}/USD" for k in range(pairs)], "interval_minutes": interval},
            "label": {"kind": "direction", "horizon": 24},
            "model": {"kind": "lgbm_classifier", "params": {"n_estimators": 50}},
            "null": {"draws": 2, "model_seeds": 1},
        }
    )
    t0 = time.perf_counter()
    ds = build_dataset(candles, config, default_spec())
    t1 = time.perf_counter()
    cut = int(ds.n_bars * 0.8)
    fold = Fold(0, 0, cut - 26, cut, ds.n_bars)
    walk_forward(ds, config, Layout([fold], None, ds.n_bars), progress=False)
    t2 = time.perf_counter()
    return {
        "pairs": pairs,
        "interval": interval,
        "bars": ds.n_bars,
        "rows": ds.frame.height,
        "features_s": t1 - t0,
        "fits_s": t2 - t1,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> int:
    """Run every case (or one) in its own process and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--case", nargs=3, type=int, metavar=("PAIRS", "MINUTES", "DAYS"))
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(*args.case)))
        return 0
    print(f"{'pairs':>5} {'min':>4} {'bars':>8} {'rows':>9} {'features s':>11} "
          f"{'fits s':>8} {'peak RSS MB':>12}")  # fmt: skip
    for case in GRID:
        out = subprocess.run(  # noqa: S603  (this script, fixed arguments)
            [sys.executable, __file__, "--case", *map(str, case)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        cells = f"{r['pairs']:>5} {r['interval']:>4} {r['bars']:>8} {r['rows']:>9} "
        cells += f"{r['features_s']:>11.2f} {r['fits_s']:>8.2f} {r['peak_rss_mb']:>12.0f}"
        print(cells)
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
