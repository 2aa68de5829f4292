"""What a search tunes and how: the ``[tune]`` table of a tuning TOML, and config overrides.

A tuning file names an experiment (a training TOML) and the search::

    experiment = "src/ml/configs/default.toml"

    [tune]
    n_trials = 20
    objective = "sharpe"

    [tune.space."model.params.num_leaves"]
    kind = "int"
    low = 7
    high = 63
    log = true

Every key of ``[tune.space]`` is a dotted path into the experiment config
(``model.params.*``, ``strategy.*``, ``policy.*``, ``label.*``...), so the decision policy is
searched the same way as the model's hyper-parameters.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from src.core.errors import ConfigurationError
from src.ml.config import ExperimentConfig, load_config
from src.ml.dataset import PROJECT_ROOT

#: Config tables a trial may not change: they define the rows and folds all trials share.
DATASET_FIELDS = (
    "data",
    "features",
    "label",
    "splits",
    "seed",
    "null",
    "checks",
    "tracking",
    "costs",  # facts about the venue, not choices
    "instruments",
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ParamSpace(_Frozen):
    """One searched parameter.

    Attributes:
        kind: ``int``, ``float`` or ``categorical``.
        low / high: Inclusive bounds (numbers).
        log: Sample on a log scale.
        step: Grid step (numbers; None: continuous, or 1 for ints).
        choices: The values of a ``categorical`` parameter.
    """

    kind: Literal["int", "float", "categorical"] = "float"
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: list[Any] | None = None

    @model_validator(mode="after")
    def _check(self) -> ParamSpace:
        if self.kind == "categorical":
            if not self.choices:
                raise ValueError("a categorical parameter needs choices")
        elif self.low is None or self.high is None or self.low > self.high:
            raise ValueError(f"a {self.kind} parameter needs low <= high")
        return self


class TuneConfig(_Frozen):
    """The nested search.

    Attributes:
        n_trials: Trials per study (one study per outer fold, and the final one).
        objective: Pooled inner figure the search maximises (``sharpe``, ``sortino``,
            ``total_return``, ``rank_ic``, ``auc``, ``hit_rate``, ``ic_mean``, ``icir``...).
        inner_folds: Walk-forward folds inside each outer fold's training window.
        inner_test_size: Bars per inner test window (None: the experiment's ``test_size``).
        inner_train_size: Minimum inner training bars (None: the experiment's ``train_size``).
        batch: Trials asked of the sampler at once and run in parallel. Fixed by the config,
            not by the number of workers, so results do not depend on the backend.
        sampler_seed: Seed of Optuna's TPE sampler (None: the experiment's ``seed``).
        final_search: After the outer report, search once more on the whole walk-forward
            region (its folds as the inner folds) for the parameters to deploy; that study's
            best value is never reported as a performance.
        ray_address: Ray cluster (``local`` starts one here); None: ``RAY_ADDRESS`` or the
            local process pool.
        workers: Process-pool size (None: the CPU count; 1 runs inline).
        space: Dotted config path -> searched range.
    """

    n_trials: int = Field(default=20, gt=0)
    objective: str = "sharpe"
    inner_folds: int = Field(default=3, gt=0)
    inner_test_size: int | None = Field(default=None, gt=0)
    inner_train_size: int | None = Field(default=None, gt=0)
    batch: int = Field(default=2, gt=0)
    sampler_seed: int | None = None
    final_search: bool = True
    ray_address: str | None = None
    workers: int | None = Field(default=None, gt=0)
    space: dict[str, ParamSpace] = Field(default_factory=dict, min_length=1)

    @model_validator(mode="after")
    def _check_space(self) -> TuneConfig:
        fixed = [k for k in self.space if k.split(".")[0] in DATASET_FIELDS]
        if fixed:
            raise ValueError(
                f"{fixed}: these change the dataset or the folds, which every trial of a study "
                "shares; compare them as separate searches"
            )
        return self


class TuningFile(_Frozen):
    """A tuning TOML: the experiment and its ``[tune]`` table."""

    experiment: str = "src/ml/configs/default.toml"
    tune: TuneConfig


def apply_overrides(config: ExperimentConfig, overrides: dict[str, Any]) -> ExperimentConfig:
    """A copy of ``config`` with each dotted path set (validated like a loaded config).

    Raises:
        ValueError: A path that names no field of the config (except under ``model.params``,
            which is free-form), or a value the config rejects.
    """
    raw = config.model_dump(mode="json")
    for path, value in overrides.items():
        keys = path.split(".")
        node = raw
        for i, key in enumerate(keys[:-1]):
            if not isinstance(node, dict) or key not in node:
                raise ValueError(f"{path}: {'.'.join(keys[: i + 1])} is not a config field")
            node = node[key]
        free = keys[:2] == ["model", "params"]
        if not isinstance(node, dict) or (keys[-1] not in node and not free):
            raise ValueError(f"{path}: not a config field")
        node[keys[-1]] = value
    return ExperimentConfig.model_validate(raw)


def _resolve(path: str, base: Path) -> Path:
    candidate = Path(path)
    for option in (candidate, base / candidate, PROJECT_ROOT / candidate):
        if option.exists():
            return option
    return candidate


def load_tuning(path: str | Path) -> tuple[ExperimentConfig, TuneConfig]:
    """Read a tuning TOML and the experiment it names (relative to the file or the project).

    Raises:
        ConfigurationError: Missing or invalid file, or a search path the experiment lacks.
    """
    file = Path(path)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
        doc = TuningFile.model_validate(raw)
    except FileNotFoundError as exc:
        raise ConfigurationError(f"tuning file not found: {file}") from exc
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise ConfigurationError(f"{file}: invalid tuning file: {exc}") from exc
    experiment = load_config(_resolve(doc.experiment, file.parent))
    for key, space in doc.tune.space.items():
        probe: Any = space.choices[0] if space.choices else space.low
        try:
            apply_overrides(experiment, {key: int(probe) if space.kind == "int" else probe})
        except ValueError as exc:
            raise ConfigurationError(f"{file}: [tune.space] {exc}") from exc
    return experiment, doc.tune


DEFAULT_TUNING_PATH = Path(__file__).parent / "default.toml"

__all__ = [
    "DEFAULT_TUNING_PATH",
    "ParamSpace",
    "TuneConfig",
    "TuningFile",
    "apply_overrides",
    "load_tuning",
]
