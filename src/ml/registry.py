"""Champion model logic: register only on an out-of-sample win, and load the champion back."""

from __future__ import annotations

import json
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

from src.ml.features import FeatureSpec
from src.ml.models import Model, load_model
from src.ml.tracking import (
    CHAMPION,
    MODEL_ARTIFACT,
    NATIVE_DIR,
    SPEC_FILE,
    champion_version,
    register_as_champion,
    resolve_tracking_uri,
)

# The alias helpers live in ``tracking`` (the MLflow layer, which needs them to register a
# champion); they are re-exported here, where the champion logic is.
__all__ = [
    "CHAMPION",
    "Champion",
    "beats",
    "champion_version",
    "load_champion",
    "register_as_champion",
]


def beats(candidate: float, incumbent: float | None, floor: float = -math.inf) -> bool:
    """Whether a candidate's metric (higher is better) clears ``floor`` and beats the champion."""
    if not math.isfinite(candidate) or candidate <= floor:
        return False
    return incumbent is None or not math.isfinite(incumbent) or candidate > incumbent


@dataclass(frozen=True)
class Champion:
    """A loaded champion: the model, the feature spec it was trained with and its feature order.

    Attributes:
        model: The fitted model.
        feature_spec: The exact spec passed to ``build_features`` at training time; live
            inference calls ``build_features(candles, champion.feature_spec)``.
        feature_names: Column order the model expects.
        run_id: MLflow run that produced it.
        version: Registered model version.
    """

    model: Model
    feature_spec: FeatureSpec
    feature_names: list[str]
    run_id: str
    version: str


def load_champion(name: str, tracking_uri: str | None = None) -> Champion:
    """Load the model aliased ``champion`` under ``name`` together with its feature spec.

    Args:
        name: Registered model name.
        tracking_uri: MLflow store; see :func:`src.ml.tracking.resolve_tracking_uri`.

    Raises:
        LookupError: No champion is registered under ``name``.
    """
    from mlflow.tracking import MlflowClient

    uri = resolve_tracking_uri(tracking_uri)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    version = champion_version(client, name)
    if version is None:
        raise LookupError(f"no model aliased {CHAMPION!r} under {name!r} in {uri}")
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(client.download_artifacts(version.run_id, MODEL_ARTIFACT, tmp))
        model = load_model(local / "artifacts" / NATIVE_DIR)
        spec = json.loads((local / "artifacts" / SPEC_FILE).read_text("utf-8"))
    return Champion(
        model=model,
        feature_spec=FeatureSpec.from_dict(spec["spec"]),
        feature_names=list(spec.get("feature_names", [])),
        run_id=str(version.run_id),
        version=str(version.version),
    )
