"""The wheel works outside the repository: built, installed into a fresh venv, run from elsewhere.

``ktrade check`` and a short ``ktrade paper`` start the paper exchange, which reads the Kraken
universe and the replay candles: the wheel must carry them (pyproject's force-include). The
dependencies come from uv's cache, which ``scripts/bootstrap.sh`` filled.
"""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.integration.deploy.test_image_entry import clean_env, find_uv
from tests.support.paths import ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]


def _run(
    argv: list[str], cwd: Path, timeout: float, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - the test's own command lines
        argv, cwd=cwd, env=clean_env(**env), capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    uv = find_uv()
    if uv is None:
        pytest.skip("uv not found ($UV, PATH, .uv-bootstrap/bin/uv): run scripts/bootstrap.sh")
    out = tmp_path_factory.mktemp("wheel")
    built = _run([uv, "build", "--wheel", "--out-dir", str(out), str(ROOT)], out, 300)
    assert built.returncode == 0, built.stderr[-3000:]
    [wheel] = out.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("src/py.typed", "data/kraken-universe/AssetPairs_2021-04-17.json",
                   "data/market/kraken-ohlcvt-60m/XBTUSD_60_2021_2023.csv",
                   "data/market/SOURCES.md", "src/ml/configs/default.toml"):  # fmt: skip
        assert needed in names, needed
    assert not any(n.startswith(("tests/", "benchmarks/", "data/runtime")) for n in names)
    made = _run([uv, "venv", "-q", "-p", "3.11", str(out / "venv")], out, 300)
    assert made.returncode == 0, made.stderr[-3000:]
    python = out / "venv" / "bin" / "python"
    done = _run([uv, "pip", "install", "-q", "--python", str(python), str(wheel)], out, 800)
    assert done.returncode == 0, done.stderr[-3000:]
    return out / "venv"


def test_the_installed_wheel_checks_and_trades_on_paper_outside_the_repo(
    venv: Path, tmp_path: Path
) -> None:
    env = {"HOME": str(tmp_path), "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
           "KTRADE_DASHBOARD_PORT": "0", "KTRADE_METRICS_PORT": "0"}  # fmt: skip
    where = _run(["python", "-c", "import src; print(src.__file__)"], tmp_path, 60, **env)
    assert where.stdout.strip().startswith(str(venv)), where.stdout + where.stderr
    check = _run(["ktrade", "check"], tmp_path, 180, **env)
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]
    assert "ALL TESTS PASSED! (PAPER)" in check.stdout
    paper = _run(["ktrade", "paper", "--duration", "6"], tmp_path, 180, **env)
    assert paper.returncode == 0, paper.stdout[-2000:] + paper.stderr[-2000:]
    summary = paper.stdout.split("Session summary", 1)[1]
    assert "NO" not in summary.split()  # every line of the books agrees with the exchange
