"""What a run was made from: code version, data files with fingerprints, pinned environment.

Logged with every run (``lineage/*.json``, ``environment/requirements.txt``), so a result can be
traced to the commit (and the uncommitted diff of ``src/``), the exact candle files and the
package versions that produced it.
"""

from __future__ import annotations

import hashlib
import platform
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import polars as pl

from src.ml.config import DataConfig
from src.ml.dataset import PROJECT_ROOT, candle_file

#: Distributions whose versions decide the numbers (pinned in the logged model's requirements).
MODEL_PACKAGES = ("mlflow", "lightgbm", "scikit-learn", "polars", "numpy", "joblib")


def _git(*args: str, root: Path) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        done = subprocess.run(  # noqa: S603  (fixed git arguments, no shell)
            [git, *args], cwd=root, capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


@dataclass(frozen=True)
class CodeVersion:
    """The commit a run was trained from and what was not committed.

    Attributes:
        commit: ``git rev-parse HEAD`` (``unknown`` outside a git checkout).
        dirty: Whether any tracked file differs from the commit.
        dirty_paths: The tracked files that differ.
        src_diff: ``git diff HEAD -- src`` (the uncommitted code changes that matter).
    """

    commit: str
    dirty: bool
    dirty_paths: list[str] = field(default_factory=list)
    src_diff: str = ""


def code_version(root: Path = PROJECT_ROOT) -> CodeVersion:
    """Read the checkout's commit and uncommitted changes (``unknown`` without git)."""
    head = _git("rev-parse", "HEAD", root=root)
    if head is None:
        return CodeVersion("unknown", dirty=False)
    status = _git("status", "--porcelain", "--untracked-files=no", root=root) or ""
    paths = [line[3:] for line in status.splitlines() if line.strip()]
    diff = (_git("diff", "HEAD", "--", "src", root=root) or "") if paths else ""
    return CodeVersion(head.strip(), bool(paths), paths, diff)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def data_lineage(cfg: DataConfig, candles: pl.DataFrame) -> dict[str, Any]:
    """Per pair: the source file, its size and SHA-256, and the rows and time range used."""
    pairs = {}
    for pair in cfg.pairs:
        path = candle_file(cfg, pair)
        rows = candles.filter(pl.col("pair") == pair)
        pairs[pair] = {
            "file": _display(path),
            "bytes": path.stat().st_size,
            "sha256": file_sha256(path),
            "rows_used": rows.height,
            "first_bar": str(rows["timestamp"].min()),
            "last_bar": str(rows["timestamp"].max()),
        }
    return {"interval_minutes": cfg.interval_minutes, "pairs": pairs}


def installed_requirements() -> list[str]:
    """Every installed distribution as ``name==version``, sorted (the environment, pinned)."""
    found = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found[name.lower()] = f"{name}=={dist.version}"
    return [found[k] for k in sorted(found)]


def pinned(packages: tuple[str, ...] = MODEL_PACKAGES) -> list[str]:
    """``name==version`` for the named distributions that are installed."""
    out = []
    for name in packages:
        try:
            out.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return out


def environment() -> dict[str, str]:
    """Interpreter and platform, plus the SHA-256 of ``uv.lock`` when the checkout has one."""
    lock = PROJECT_ROOT / "uv.lock"
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "uv_lock_sha256": file_sha256(lock) if lock.exists() else "none",
    }


def code_params(code: CodeVersion) -> dict[str, str]:
    """The code version as flat run parameters."""
    return {"git_commit": code.commit, "git_dirty": str(code.dirty).lower()}


def code_record(code: CodeVersion) -> dict[str, Any]:
    """The code version as a JSON document (without the diff, logged as its own file)."""
    doc = asdict(code)
    doc.pop("src_diff")
    return doc


__all__ = [
    "MODEL_PACKAGES",
    "CodeVersion",
    "code_params",
    "code_record",
    "code_version",
    "data_lineage",
    "environment",
    "file_sha256",
    "installed_requirements",
    "pinned",
]
