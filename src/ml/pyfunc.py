"""MLflow pyfunc wrapper so a logged model serves scores from a plain pandas frame."""

from __future__ import annotations

import warnings
from typing import Any

import mlflow.pyfunc
import numpy as np

# MLflow warns at class creation when predict() has no type hints; they are left out on purpose.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)

    class SignalModel(mlflow.pyfunc.PythonModel):  # type: ignore[misc, name-defined]
        """Loads the native model saved next to it and returns its score (P(up) or return)."""

        def load_context(self, context: Any) -> None:
            """Load the native model from the logged artifacts."""
            from src.ml.models import load_model

            self._model = load_model(context.artifacts["native"])

        # No type hints here on purpose: MLflow reads them as an input schema and warns.
        def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
            """Score a frame whose columns are the training features in training order."""
            return np.asarray(self._model.score(np.asarray(model_input, dtype=np.float64)))
