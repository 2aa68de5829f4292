"""One matrix over every model: fit, predict, probabilities, save/load round trip, determinism."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from src.ml.models import MODELS, LightGBMModel, Model, load_model, make_model

FAST = {
    "lgbm_classifier": {"n_estimators": 30},
    "lgbm_regressor": {"n_estimators": 30},
    "random_forest": {"n_estimators": 20},
    "random_forest_regressor": {"n_estimators": 20},
}


Data = tuple[np.ndarray, np.ndarray, np.ndarray]


@pytest.fixture(scope="module")
def data() -> Data:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(1200, 5))
    signal = 1.5 * x[:, 0] - x[:, 1] + rng.normal(scale=0.5, size=1200)
    return x, (signal > 0).astype(np.int64), signal * 0.01


def _fit(kind: str, data: Data, seed: int = 3) -> Model:
    x, y_cls, y_reg = data
    model = make_model(kind, FAST.get(kind), seed=seed)
    y = y_cls if model.task == "classification" else y_reg
    return model.fit(x[:1000], y[:1000])


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_fit_predict_and_quality(kind: str, data: Data) -> None:
    x, y_cls, y_reg = data
    model = _fit(kind, data)
    score = model.score(x[1000:])
    assert score.shape == (200,)
    assert np.isfinite(score).all()
    pred = model.predict(x[1000:])
    if model.task == "classification":
        proba = model.predict_proba(x[1000:])
        assert ((proba >= 0) & (proba <= 1)).all()
        assert set(np.unique(pred)) <= {0, 1}
        auc = roc_auc_score(y_cls[1000:], proba)
        # The dummy knows nothing; every real model finds the planted signal.
        assert (auc == 0.5) if kind.startswith("dummy") else (auc > 0.8)
    else:
        with pytest.raises(TypeError, match="regressor"):
            model.predict_proba(x[1000:])
        corr = np.corrcoef(pred, y_reg[1000:])[0, 1] if np.ptp(pred) > 0 else 0.0
        assert (np.ptp(pred) == 0) if kind.startswith("dummy") else (corr > 0.7)


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_save_load_round_trip(kind: str, data: Data, tmp_path: Path) -> None:
    x = data[0]
    model = _fit(kind, data)
    folder = model.save(tmp_path / kind)
    loaded = load_model(folder)
    assert loaded.kind == kind
    np.testing.assert_array_equal(loaded.score(x[1000:]), model.score(x[1000:]))
    np.testing.assert_array_equal(loaded.predict(x[1000:]), model.predict(x[1000:]))


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_same_seed_same_scores(kind: str, data: Data) -> None:
    x = data[0]
    np.testing.assert_array_equal(_fit(kind, data).score(x), _fit(kind, data).score(x))


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_unfitted_model_refuses_to_predict(kind: str, data: Data) -> None:
    model = make_model(kind)
    with pytest.raises(RuntimeError, match="fit"):
        model.score(data[0])


@pytest.mark.parametrize("kind", ["lgbm_classifier", "lgbm_regressor"])
def test_lightgbm_is_stored_as_native_text_not_pickle(
    kind: str, data: Data, tmp_path: Path
) -> None:
    folder = _fit(kind, data).save(tmp_path / "m")
    text = (folder / LightGBMModel.FILE).read_text(encoding="utf-8")
    assert text.startswith("tree")
    assert not list(folder.glob("*.pkl")) and not list(folder.glob("*.joblib"))


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_feature_importance_matches_feature_count(kind: str, data: Data) -> None:
    importance = _fit(kind, data).feature_importance()
    if kind.startswith("dummy"):
        assert importance is None
    else:
        assert importance is not None and importance.shape == (5,)
        assert np.argmax(importance) in (0, 1)  # the planted features matter most


def test_unknown_kind_and_missing_folder_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown model kind 'xgb'"):
        make_model("xgb")
    with pytest.raises(FileNotFoundError, match=r"model_meta\.json"):
        load_model(tmp_path)
