"""``ktrade --help`` and every subcommand's ``--help`` import only the parser: fast, always.

Wall time on a shared 2-core machine says little, so the test checks what was imported
(``-X importtime``): none of the heavy libraries may load for ``--help``. A generous time bound
catches only a pathological regression.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from src.cli.main import COMMANDS

ROOT = Path(__file__).resolve().parents[3]
HEAVY = (
    "polars",
    "lightgbm",
    "mlflow",
    "httpx",
    "numpy",
    "pydantic",
    "matplotlib",
    "sklearn",
    "structlog",
    "websockets",
    "aiohttp",
    "cryptography",
)


def _imported(argv: list[str]) -> tuple[set[str], str, float]:
    start = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-X", "importtime", "-m", "src.cli", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    elapsed = time.perf_counter() - start
    assert done.returncode == 0, done.stderr[-2000:]
    modules = {
        line.split("|")[-1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return modules, done.stdout, elapsed


@pytest.mark.parametrize("argv", [["--help"], *[[name, "--help"] for name in COMMANDS]])
def test_help_imports_no_heavy_library(argv: list[str]) -> None:
    modules, out, elapsed = _imported(argv)
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))
    assert "usage: ktrade" in out
    assert elapsed < 10, f"{argv}: {elapsed:.1f} s"


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).with_name("ktrade")
    assert script.is_file(), "run `bash scripts/bootstrap.sh dev` to install the console script"
    done = subprocess.run(  # noqa: S603 - the installed console script, fixed argv
        [str(script), "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0 and done.stdout.strip() == "ktrade 0.1.0"
