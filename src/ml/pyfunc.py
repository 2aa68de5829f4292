"""MLflow pyfunc wrapper so a logged model serves scores from a plain pandas frame."""

from __future__ import annotations

from typing import Any

import mlflow.pyfunc
import numpy as np
import pandas as pd


class SignalModel(mlflow.pyfunc.PythonModel):  # type: ignore[misc, name-defined]
    """Loads the native model saved next to it and returns its score (P(up) or return)."""

    def load_context(self, context: Any) -> None:
        """Load the native model from the logged artifacts."""
        from src.ml.models import load_model

        self._model = load_model(context.artifacts["native"])

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> np.ndarray:
        """Score a frame whose columns are the training features in training order."""
        return np.asarray(self._model.score(np.asarray(model_input, dtype=np.float64)))
