"""One model interface over LightGBM and scikit-learn baselines, with native on-disk formats."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

import joblib  # type: ignore[import-untyped]
import lightgbm as lgb
import numpy as np
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

Task = Literal["classification", "regression"]
META_FILE = "model_meta.json"


@runtime_checkable
class Model(Protocol):
    """What the pipeline needs from a model; ``score`` is what trading thresholds apply to."""

    @property
    def kind(self) -> str:
        """Registry key of the model class (e.g. ``lgbm_classifier``)."""
        ...

    @property
    def task(self) -> Task:
        """``classification`` or ``regression``."""
        ...

    def fit(self, x: np.ndarray, y: np.ndarray) -> Model:
        """Fit on features ``x`` (n, k) and target ``y`` (n,); returns self."""
        ...

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Class (0/1) for classifiers, value for regressors."""
        ...

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Probability of class 1 (classifiers); raises for regressors."""
        ...

    def score(self, x: np.ndarray) -> np.ndarray:
        """Probability of class 1 for classifiers, predicted value for regressors."""
        ...

    def feature_importance(self) -> np.ndarray | None:
        """Per-feature importance, or None when the model has none."""
        ...

    def save(self, path: str | Path) -> Path:
        """Write the model into directory ``path``; returns it."""
        ...


class _Base:
    kind: ClassVar[str]
    task: ClassVar[Task]

    def __init__(self, params: dict[str, Any] | None = None, seed: int = 0) -> None:
        self.params = dict(params or {})
        self.seed = seed
        self._fitted = False

    def _require_fitted(self) -> None:
        if not self._fitted:
            raise RuntimeError(f"{self.kind}: call fit() before predicting or saving")

    def score(self, x: np.ndarray) -> np.ndarray:
        if self.task == "classification":
            return self.predict_proba(x)
        return self.predict(x)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        raise TypeError(f"{self.kind} is a regressor: use predict()")

    def predict(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _write_meta(self, folder: Path, **extra: Any) -> None:
        meta = {"kind": self.kind, "params": self.params, "seed": self.seed, **extra}
        (folder / META_FILE).write_text(json.dumps(meta, indent=2, default=str), encoding="utf-8")


class LightGBMModel(_Base):
    """LightGBM booster; saved as LightGBM's own text model file (no pickle)."""

    kind: ClassVar[str] = "lgbm"
    FILE: ClassVar[str] = "model.lgb.txt"
    DEFAULTS: ClassVar[dict[str, Any]] = {
        "n_estimators": 100,
        "learning_rate": 0.05,
        "num_leaves": 15,
        "min_child_samples": 50,
        "subsample": 0.8,
        "subsample_freq": 1,
        "colsample_bytree": 0.8,
        "verbose": -1,
    }

    def __init__(self, params: dict[str, Any] | None = None, seed: int = 0) -> None:
        super().__init__(params, seed)
        self._booster: lgb.Booster | None = None

    def fit(self, x: np.ndarray, y: np.ndarray) -> LightGBMModel:
        """Train a booster on ``x`` (n, k) and ``y`` (n,), single-threaded so it is repeatable.

        Returns:
            self, fitted.
        """
        params = {**self.DEFAULTS, **self.params}
        # Determinism: one thread and fixed seeds make repeated runs bit-identical.
        params.update(random_state=self.seed, deterministic=True, n_jobs=1, force_row_wise=True)
        est_cls = lgb.LGBMClassifier if self.task == "classification" else lgb.LGBMRegressor
        est = est_cls(**params)
        est.fit(np.asarray(x, dtype=np.float64), np.asarray(y))
        self._booster = est.booster_
        self._fitted = True
        return self

    def _raw(self, x: np.ndarray) -> np.ndarray:
        self._require_fitted()
        assert self._booster is not None
        return np.asarray(self._booster.predict(np.asarray(x, dtype=np.float64)), dtype=float)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Return class 0/1 (probability >= 0.5) for a classifier, the value for a regressor."""
        raw = self._raw(x)
        return (raw >= 0.5).astype(np.int64) if self.task == "classification" else raw

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Return P(class 1) per row.

        Raises:
            TypeError: for a regressor.
        """
        if self.task != "classification":
            return super().predict_proba(x)
        return self._raw(x)

    def feature_importance(self) -> np.ndarray | None:
        """Return each feature's total split gain, in training column order."""
        self._require_fitted()
        assert self._booster is not None
        return np.asarray(self._booster.feature_importance(importance_type="gain"), dtype=float)

    def save(self, path: str | Path) -> Path:
        """Write LightGBM's text model and the meta file into directory ``path``; return it.

        Raises:
            RuntimeError: if the model has not been fitted.
        """
        self._require_fitted()
        assert self._booster is not None
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        self._booster.save_model(str(folder / self.FILE))
        self._write_meta(folder)
        return folder

    def _load_native(self, folder: Path) -> None:
        self._booster = lgb.Booster(model_file=str(folder / self.FILE))
        self._fitted = True


class LightGBMClassifier(LightGBMModel):
    """Binary LightGBM classifier."""

    kind: ClassVar[str] = "lgbm_classifier"
    task: ClassVar[Task] = "classification"


class LightGBMRegressor(LightGBMModel):
    """LightGBM regressor."""

    kind: ClassVar[str] = "lgbm_regressor"
    task: ClassVar[Task] = "regression"


class SklearnModel(_Base):
    """A scikit-learn estimator saved with joblib (sklearn has no portable native format)."""

    FILE: ClassVar[str] = "model.joblib"

    def __init__(self, params: dict[str, Any] | None = None, seed: int = 0) -> None:
        super().__init__(params, seed)
        self._est: Any = None

    def _build(self) -> Any:
        raise NotImplementedError

    def fit(self, x: np.ndarray, y: np.ndarray) -> SklearnModel:
        """Build a fresh estimator and fit it on ``x`` (n, k) and ``y`` (n,).

        Returns:
            self, fitted.
        """
        self._est = self._build()
        self._est.fit(np.asarray(x, dtype=np.float64), np.asarray(y))
        self._fitted = True
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Return the estimator's prediction: int64 classes or float values."""
        self._require_fitted()
        out = np.asarray(self._est.predict(np.asarray(x, dtype=np.float64)))
        return out.astype(np.int64) if self.task == "classification" else out.astype(float)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Return P(class 1) per row; all zeros if the training data had no class 1.

        Raises:
            TypeError: for a regressor.
        """
        if self.task != "classification":
            return super().predict_proba(x)
        self._require_fitted()
        proba = np.asarray(self._est.predict_proba(np.asarray(x, dtype=np.float64)))
        classes = list(self._est.classes_)
        # A training slice with one class only still answers P(class 1).
        return proba[:, classes.index(1)] if 1 in classes else np.zeros(len(proba))

    def feature_importance(self) -> np.ndarray | None:
        """Return tree importances, absolute linear coefficients, or None if neither exists."""
        self._require_fitted()
        last = self._est.steps[-1][1] if hasattr(self._est, "steps") else self._est
        if hasattr(last, "feature_importances_"):
            return np.asarray(last.feature_importances_, dtype=float)
        if hasattr(last, "coef_"):
            return np.asarray(np.abs(np.asarray(last.coef_, dtype=float)).ravel(), dtype=float)
        return None

    def save(self, path: str | Path) -> Path:
        """Write the joblib dump and the meta file into directory ``path``; return it.

        Raises:
            RuntimeError: if the model has not been fitted.
        """
        self._require_fitted()
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        joblib.dump(self._est, folder / self.FILE)
        self._write_meta(folder)
        return folder

    def _load_native(self, folder: Path) -> None:
        self._est = joblib.load(folder / self.FILE)
        self._fitted = True


class LogisticModel(SklearnModel):
    """Standardized logistic regression baseline."""

    kind: ClassVar[str] = "logistic"
    task: ClassVar[Task] = "classification"

    def _build(self) -> Any:
        params = {"max_iter": 500, "C": 1.0, **self.params}
        return make_pipeline(StandardScaler(), LogisticRegression(random_state=self.seed, **params))


class RandomForestModel(SklearnModel):
    """Random-forest classifier baseline (the tree ensemble)."""

    kind: ClassVar[str] = "random_forest"
    task: ClassVar[Task] = "classification"

    def _build(self) -> Any:
        params = {"n_estimators": 100, "max_depth": 6, "min_samples_leaf": 50, **self.params}
        return RandomForestClassifier(random_state=self.seed, n_jobs=1, **params)


class RandomForestRegressorModel(SklearnModel):
    """Random-forest regressor baseline."""

    kind: ClassVar[str] = "random_forest_regressor"
    task: ClassVar[Task] = "regression"

    def _build(self) -> Any:
        params = {"n_estimators": 100, "max_depth": 6, "min_samples_leaf": 50, **self.params}
        return RandomForestRegressor(random_state=self.seed, n_jobs=1, **params)


class DummyClassifierModel(SklearnModel):
    """Predicts the training prior: the floor any real classifier must beat."""

    kind: ClassVar[str] = "dummy_classifier"
    task: ClassVar[Task] = "classification"

    def _build(self) -> Any:
        return DummyClassifier(strategy="prior", **self.params)


class DummyRegressorModel(SklearnModel):
    """Predicts the training mean."""

    kind: ClassVar[str] = "dummy_regressor"
    task: ClassVar[Task] = "regression"

    def _build(self) -> Any:
        return DummyRegressor(strategy="mean", **self.params)


MODELS: dict[str, type[LightGBMModel] | type[SklearnModel]] = {
    cls.kind: cls
    for cls in (
        LightGBMClassifier,
        LightGBMRegressor,
        LogisticModel,
        RandomForestModel,
        RandomForestRegressorModel,
        DummyClassifierModel,
        DummyRegressorModel,
    )
}


def make_model(kind: str, params: dict[str, Any] | None = None, seed: int = 0) -> Model:
    """Build an unfitted model by kind (see ``MODELS``)."""
    try:
        cls = MODELS[kind]
    except KeyError:
        raise ValueError(f"unknown model kind {kind!r}; choose from {sorted(MODELS)}") from None
    return cls(params, seed)


def load_model(path: str | Path) -> Model:
    """Load a model saved by :meth:`Model.save` from its directory."""
    folder = Path(path)
    meta_path = folder / META_FILE
    if not meta_path.exists():
        raise FileNotFoundError(f"{folder}: no {META_FILE}; not a saved model directory")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    model = MODELS[meta["kind"]](meta.get("params"), int(meta.get("seed", 0)))
    model._load_native(folder)
    return model
