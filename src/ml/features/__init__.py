"""Feature library: causal polars features declared by a FeatureSpec (see docs/ml_features.md)."""

from src.ml.features.catalogue import CATALOGUE, FeatureColumn, FeatureKind, feature_columns
from src.ml.features.pipeline import build_features
from src.ml.features.spec import CrossPairRef, FeatureConfig, FeatureSpec, default_spec

__all__ = [
    "CATALOGUE",
    "CrossPairRef",
    "FeatureColumn",
    "FeatureConfig",
    "FeatureKind",
    "FeatureSpec",
    "build_features",
    "default_spec",
    "feature_columns",
]
