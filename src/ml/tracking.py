"""Experiment tracking behind a small protocol: MLflow for real runs, a no-op for tests/scripts.

The MLflow tracker talks to its own ``MlflowClient`` and never sets mlflow's process-wide
tracking URI, so two trackers (e.g. a test's temporary store and the default) never mix.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import uuid
import warnings
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from src.ml.models import Model

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
MODEL_ARTIFACT = "model"
NATIVE_DIR = "native"
SPEC_FILE = "feature_spec.json"
CHAMPION = "champion"  # the registry alias of the model that trades


def quiet_mlflow() -> None:
    """Keep MLflow's per-file download bars and advisory warnings out of command-line output.

    Our own progress (tqdm over folds) and summary are what a person running training reads;
    MLflow's messages stay available at ERROR level and in its store.
    """
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "ERROR")
    import mlflow  # noqa: F401  (MLflow configures its logger on import; override after it)

    logging.getLogger("mlflow").setLevel(logging.ERROR)


def resolve_tracking_uri(uri: str | None = None) -> str:
    """Explicit URI, else ``MLFLOW_TRACKING_URI``, else ``sqlite:///mlflow.db``."""
    return uri or os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI


def default_artifact_location(tracking_uri: str) -> str | None:
    """For a sqlite store, ``mlartifacts/`` next to the database file; else MLflow's default."""
    prefix = "sqlite:///"
    if not tracking_uri.startswith(prefix):
        return None
    db = Path(tracking_uri[len(prefix) :])
    return (db.parent.resolve() / "mlartifacts").as_uri()


def champion_version(client: Any, name: str) -> Any | None:
    """The model version aliased ``champion`` under ``name`` in ``client``'s registry, or None."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return None


def register_as_champion(client: Any, model_uri: str, name: str, run_id: str) -> str:
    """Create a model version for the run's model and point the ``champion`` alias at it."""
    from mlflow.exceptions import MlflowException

    with contextlib.suppress(MlflowException):  # already registered
        client.create_registered_model(name)
    source = f"{client.get_run(run_id).info.artifact_uri}/{MODEL_ARTIFACT}"
    version = client.create_model_version(name, source, run_id=run_id)
    client.set_registered_model_alias(name, CHAMPION, version.version)
    return str(version.version)


@runtime_checkable
class Tracker(Protocol):
    """What a training run records; every method is called inside ``start_run``/``end_run``."""

    def start_run(self, experiment: str, run_name: str, tags: dict[str, str]) -> str:
        """Open a run and return its id."""
        ...

    def end_run(self, status: str = "FINISHED") -> None:
        """Close the current run (``FINISHED`` or ``FAILED``)."""
        ...

    def log_params(self, params: dict[str, Any]) -> None:
        """Log flat parameters (values are stringified)."""
        ...

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        """Log metrics; non-finite values are skipped."""
        ...

    def set_tags(self, tags: dict[str, str]) -> None:
        """Tag the current run."""
        ...

    def log_artifact(self, path: Path, artifact_path: str | None = None) -> None:
        """Upload a local file."""
        ...

    def log_model(
        self,
        model: Model,
        feature_spec: dict[str, Any],
        input_example: Any,
    ) -> str:
        """Store the model with signature, input example and feature spec; return its URI."""
        ...

    def champion_score(self, name: str, metric: str) -> float | None:
        """The current champion's value of ``metric`` or None when there is no champion."""
        ...

    def register_champion(self, model_uri: str, name: str) -> str:
        """Register ``model_uri`` under ``name`` and alias it ``champion``; return the version."""
        ...

    def trial_sharpes(self) -> list[float]:
        """Out-of-sample Sharpe per bar of the experiment's other finished runs (the trials)."""
        ...


class NullTracker:
    """Records nothing; ``start_run`` returns a random id so callers can still print one."""

    def start_run(self, experiment: str, run_name: str, tags: dict[str, str]) -> str:
        """Return a fresh ``null-<hex>`` run id; nothing is opened."""
        return f"null-{uuid.uuid4().hex[:12]}"

    def end_run(self, status: str = "FINISHED") -> None:
        """Ignore the end of the run."""
        return None

    def log_params(self, params: dict[str, Any]) -> None:
        """Discard the parameters."""
        return None

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        """Discard the metrics."""
        return None

    def set_tags(self, tags: dict[str, str]) -> None:
        """Discard the tags."""
        return None

    def log_artifact(self, path: Path, artifact_path: str | None = None) -> None:
        """Leave the file where it is; nothing is uploaded."""
        return None

    def log_model(self, model: Model, feature_spec: dict[str, Any], input_example: Any) -> str:
        """Store nothing and return an empty model URI."""
        return ""

    def champion_score(self, name: str, metric: str) -> float | None:
        """Return None: without a registry there is never a champion to beat."""
        return None

    def register_champion(self, model_uri: str, name: str) -> str:
        """Register nothing and return an empty version."""
        return ""

    def trial_sharpes(self) -> list[float]:
        """Return no other trials: without a store this run is the only one."""
        return []


class MLflowTracker:
    """Tracks runs in MLflow through an explicit client.

    Args:
        tracking_uri: Store URI; see :func:`resolve_tracking_uri`.
        artifact_location: Artifact root for experiments this tracker creates (None: for a
            sqlite store ``mlartifacts/`` beside the database, else MLflow's default).
    """

    def __init__(self, tracking_uri: str | None = None, artifact_location: str | None = None):
        from mlflow.tracking import MlflowClient

        self.tracking_uri = resolve_tracking_uri(tracking_uri)
        self.artifact_location = artifact_location or default_artifact_location(self.tracking_uri)
        self.client = MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)
        self.run_id: str | None = None

    def _run(self) -> str:
        if self.run_id is None:
            raise RuntimeError("no active run: call start_run() first")
        return self.run_id

    def start_run(self, experiment: str, run_name: str, tags: dict[str, str]) -> str:
        """Open a run in ``experiment`` (created if missing) and return the run id."""
        exp = self.client.get_experiment_by_name(experiment)
        exp_id = (
            exp.experiment_id
            if exp is not None
            else self.client.create_experiment(experiment, artifact_location=self.artifact_location)
        )
        run = self.client.create_run(exp_id, run_name=run_name, tags=tags)
        self.run_id = str(run.info.run_id)
        return self.run_id

    def end_run(self, status: str = "FINISHED") -> None:
        """Mark the active run terminated with ``status``; a new run must be started after."""
        self.client.set_terminated(self._run(), status=status)
        self.run_id = None

    def log_params(self, params: dict[str, Any]) -> None:
        """Log the parameters in one batch, each value as text cut to MLflow's 6000 chars."""
        from mlflow.entities import Param

        items = [Param(k, str(v)[:6000]) for k, v in params.items()]
        self.client.log_batch(self._run(), params=items)

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        """Log the finite metrics in one batch at ``step`` (0 if None); None/NaN/inf are dropped."""
        import time

        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        items = [
            Metric(k, float(v), now, step or 0)
            for k, v in metrics.items()
            if v is not None and np.isfinite(v)
        ]
        if items:
            self.client.log_batch(self._run(), metrics=items)

    def set_tags(self, tags: dict[str, str]) -> None:
        """Set each tag on the active run."""
        for key, value in tags.items():
            self.client.set_tag(self._run(), key, value)

    def log_artifact(self, path: Path, artifact_path: str | None = None) -> None:
        """Upload the local file ``path`` to the run, under ``artifact_path`` if given."""
        self.client.log_artifact(self._run(), str(path), artifact_path)

    def log_model(self, model: Model, feature_spec: dict[str, Any], input_example: Any) -> str:
        """Log the model as an MLflow pyfunc wrapping its native files and the feature spec.

        Args:
            model: the fitted model; saved in its native format under ``native/``.
            feature_spec: the spec as a dict, written as ``feature_spec.json`` beside it.
            input_example: a few feature rows (pandas DataFrame); their scores give the signature.

        Returns:
            The ``runs:/<run id>/model`` URI to register.
        """
        import mlflow.pyfunc
        from mlflow.models import infer_signature

        from src.ml.lineage import pinned
        from src.ml.pyfunc import SignalModel

        with tempfile.TemporaryDirectory() as tmp:
            native = model.save(Path(tmp) / NATIVE_DIR)
            spec_path = Path(tmp) / SPEC_FILE
            spec_path.write_text(json.dumps(feature_spec, indent=2, default=str), "utf-8")
            scores = model.score(input_example.to_numpy())
            signature = infer_signature(input_example, scores)
            out = Path(tmp) / MODEL_ARTIFACT
            with warnings.catch_warnings():
                # MLflow nags about the wrapper's type hints; the signature below is explicit.
                warnings.simplefilter("ignore", UserWarning)
                mlflow.pyfunc.save_model(
                    path=str(out),
                    python_model=SignalModel(),
                    artifacts={NATIVE_DIR: str(native), "feature_spec": str(spec_path)},
                    signature=signature,
                    input_example=input_example,
                    # Listing requirements explicitly skips MLflow's slow environment inference;
                    # pinned to the versions that trained it, so a reload scores the same.
                    pip_requirements=pinned(),
                )
            self.client.log_artifacts(self._run(), str(out), MODEL_ARTIFACT)
        return f"runs:/{self._run()}/{MODEL_ARTIFACT}"

    def champion_score(self, name: str, metric: str) -> float | None:
        """Return the champion run's ``metric`` under ``name``, or None without a champion."""
        version = champion_version(self.client, name)
        if version is None:
            return None
        value = self.client.get_run(version.run_id).data.metrics.get(metric)
        return None if value is None else float(value)

    def register_champion(self, model_uri: str, name: str) -> str:
        """Register the active run's model under ``name``, alias it champion, return the version.

        ``model_uri`` is not read: the version's source is the run's own ``model`` artifact.
        """
        return register_as_champion(self.client, model_uri, name, self._run())

    def trial_sharpes(self) -> list[float]:
        """Per-bar OOS Sharpe of every other FINISHED run of the active run's experiment.

        Runs from before ``oos_sharpe_per_bar`` was logged count with their annualized
        ``oos_sharpe`` divided by the square root of their bars per year. Failed runs (a
        leakage check stopped them) are not trials: they produced no candidate.
        """
        from src.ml.metrics import periods_per_year

        current = self.client.get_run(self._run())
        out: list[float] = []
        token: str | None = None
        while True:
            page = self.client.search_runs(
                [current.info.experiment_id],
                filter_string="attributes.status = 'FINISHED'",
                max_results=1000,
                page_token=token,
            )
            for run in page:
                metrics = run.data.metrics
                if run.info.run_id == current.info.run_id:
                    continue
                if "oos_sharpe_per_bar" in metrics:
                    out.append(float(metrics["oos_sharpe_per_bar"]))
                elif "oos_sharpe" in metrics:
                    minutes = int(run.data.params.get("data.interval_minutes", 60))
                    out.append(float(metrics["oos_sharpe"]) / periods_per_year(minutes) ** 0.5)
            token = page.token
            if not token:
                return out
