"""Helpers of the ``ktrade`` tests (unit and integration): isolated folders and a runner."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from src.cli.main import main

ENV = (
    "KRAKEN_API_KEY",
    "KRAKEN_API_SECRET",
    "ALPACA_API_KEY",
    "ALPACA_API_SECRET",
    "KRAKEN_API_URL",
    "KRAKEN_CREDENTIALS_FILE",
    "KRAKEN_CREDENTIALS_PASSPHRASE",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "MLFLOW_TRACKING_URI",
    "KRAKEN_TIER",
)


@dataclass
class Result:
    """What one ``ktrade`` run printed and returned."""

    code: int
    out: str
    err: str


@dataclass
class Home:
    """The isolated folders a test's ``ktrade`` uses."""

    root: Path
    config: Path
    data: Path

    def write_config(self, text: str) -> Path:
        self.config.parent.mkdir(parents=True, exist_ok=True)
        self.config.write_text(text, encoding="utf-8")
        return self.config


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    monkeypatch.chdir(tmp_path)
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "cfg" / "config.toml"
    monkeypatch.setenv("KTRADE_CONFIG", str(config))
    monkeypatch.setenv("KTRADE_DATA_DIR", str(tmp_path / "data"))
    found = Home(tmp_path, config, tmp_path / "data")
    found.write_config("")
    return found


@pytest.fixture
def ktrade(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    def run(*argv: str) -> Result:
        code = main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
