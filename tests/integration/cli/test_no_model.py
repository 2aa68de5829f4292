"""With no trained model, the error names the file a relative SQLite store URI means."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.unit.cli.cli_support import Home, Result

pytestmark = pytest.mark.integration  # MLflow opens its store (and a socket) on disk


def test_no_model_names_the_file_the_relative_store_means(
    home: Home, ktrade: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    result = ktrade("backtest", "--strategy", "model", "--no-html")
    assert result.code == 2
    assert f"(that is {folder.resolve() / 'mlflow.db'}, in the current folder)" in result.err
    assert "from the same folder, or with the same [ml] tracking_uri" in result.err
