"""Train the default BTC/USD + ETH/USD hourly model and load the champion back for inference.

Run from the repo root: ``.venv/bin/python examples/train_model.py [--config FILE]``.
Runs are stored in ``sqlite:///mlflow.db`` (or ``MLFLOW_TRACKING_URI``); browse them with
``mlflow ui --backend-store-uri sqlite:///mlflow.db``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from src.ml.config import DEFAULT_CONFIG_PATH, load_config
from src.ml.dataset import load_candles
from src.ml.features import build_features
from src.ml.leakage import LeakageError
from src.ml.registry import load_champion
from src.ml.train import train


def main() -> int:
    """Train, print the quant report and the gate, then score the latest candles with the champion.

    Returns:
        0, or 2 when a leakage check stopped the run.
    """
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default=str(DEFAULT_CONFIG_PATH))
    config = load_config(parser.parse_args().config)

    try:
        result = train(config)
    except LeakageError as exc:  # a feature reads the future: nothing was fitted or promoted
        print(f"LEAKAGE: {exc}", file=sys.stderr)
        return 2
    # The quant report per fold and pooled, against buy-and-hold and the null, then the gate's
    # reasons (why the run was or was not promoted), as logged under the run's report/.
    print(result.report)
    print(f"MLflow run id: {result.run_id}  registered as champion: {result.registered}")

    try:
        champion = load_champion(config.tracking.registered_model, config.tracking.tracking_uri)
    except LookupError as exc:
        print(f"no champion yet ({exc}); nothing to score")
        return 0
    # Live inference path: the same feature spec the champion was trained with.
    candles = load_candles(config.data)
    features = build_features(candles, champion.feature_spec).drop_nulls()
    latest = features.group_by("pair").tail(1).sort("pair")
    scores = champion.model.score(latest.select(champion.feature_names).to_numpy())
    for pair, ts, score in zip(latest["pair"], latest["timestamp"], scores, strict=True):
        print(f"{pair} {ts}: score {score:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
