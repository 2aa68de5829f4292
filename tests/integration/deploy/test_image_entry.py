"""The image's entry command works from a clean install made the way the Dockerfile makes it.

No Docker daemon is needed: the files the Dockerfile copies are copied into an empty folder,
``uv sync --locked --no-dev`` runs there twice as in its build stage (dependencies, then the
project) with the stage's ``UV_*`` settings, and the entry command (``ktrade paper``) runs from
that environment with a fresh home and data folder, outside the checkout. Needs uv (``$UV``,
on PATH, or the one ``scripts/bootstrap.sh`` installs); its cache makes the second run quick.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.paths import ROOT
from tests.unit.deploy.dockerfile import stages

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def find_uv() -> str | None:
    candidates = [os.environ.get("UV"), shutil.which("uv"), str(ROOT / ".uv-bootstrap/bin/uv")]
    return next((c for c in candidates if c and Path(c).is_file()), None)


def clean_env(**extra: str) -> dict[str, str]:
    """This machine's environment (network and certificate settings) without the project's."""
    own = ("KTRADE_", "KRAKEN_", "UV_", "VIRTUAL_ENV", "PYTHON", "LOG_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    return {**env, **extra}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    uv = find_uv()
    if uv is None:
        pytest.skip("uv not found ($UV, PATH, .uv-bootstrap/bin/uv): run scripts/bootstrap.sh")
    build = stages(ROOT / "Dockerfile")[0]
    workdir = build.all("WORKDIR")[-1]
    root = tmp_path_factory.mktemp("image")
    app = root / workdir.lstrip("/")
    app.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for sources, dest in build.copies():
        target = app / dest if dest != "./" else app
        for source in sources:
            path = ROOT / source
            if path.is_dir():
                shutil.copytree(path, target, ignore=ignore)
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target / path.name)
    env = {k: v.replace(workdir, str(app)) for k, v in build.env().items() if k != "UV_NO_CACHE"}
    syncs = [r for r in build.all("RUN") if r.startswith("uv sync")]
    assert syncs == ["uv sync --locked --no-dev --no-install-project", "uv sync --locked --no-dev"]
    for command in syncs:
        args = command.split()[2:]
        done = subprocess.run(  # noqa: S603 - uv and the Dockerfile's own arguments
            [uv, "sync", *args, "--python", "3.11"],
            cwd=app, env=clean_env(**env), capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
    return app


def run(
    app: Path, home: Path, *argv: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    home.mkdir(exist_ok=True)
    # Free ports for the session's dashboard and /metrics: a bot running on this machine
    # holds the default ones.
    env = clean_env(HOME=str(home), KTRADE_DATA_DIR=str(home / "data"),
                    KTRADE_DASHBOARD_PORT="0", KTRADE_METRICS_PORT="0",
                    PATH=f"{app / '.venv/bin'}:/usr/bin:/bin")  # fmt: skip
    return subprocess.run(  # noqa: S603 - the test's own command lines
        list(argv), cwd=home, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_the_entry_command_is_ktrade_paper() -> None:
    final = stages(ROOT / "Dockerfile")[-1]
    assert final.all("ENTRYPOINT") == ['["ktrade"]'] and final.all("CMD") == ['["paper"]']


def test_ktrade_paper_help_from_the_clean_install(installed: Path, tmp_path: Path) -> None:
    done = run(installed, tmp_path, "ktrade", "paper", "--help")
    assert done.returncode == 0, done.stderr
    assert "Trade on the local paper exchange" in done.stdout
    where = run(installed, tmp_path, "python", "-c", "import src; print(src.__file__)")
    assert where.stdout.strip() == str(installed / "src" / "__init__.py")  # not the checkout


def test_a_paper_session_runs_from_the_clean_install(installed: Path, tmp_path: Path) -> None:
    # the image's own data (market replay, Kraken universe) is what the exchange reads
    done = run(installed, tmp_path, "ktrade", "paper", "--duration", "5", timeout=180)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Session summary" in done.stdout
    assert (tmp_path / "data" / "runtime" / "paper.sqlite").exists()


def test_the_standalone_paper_exchange_starts_from_the_clean_install(
    installed: Path, tmp_path: Path
) -> None:
    done = run(installed, tmp_path, "python", "-m", "src.brokers.paper", "--help")
    assert done.returncode == 0, done.stderr
    assert "--host" in done.stdout
