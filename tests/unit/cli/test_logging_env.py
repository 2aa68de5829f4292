"""LOG_LEVEL and LOG_FORMAT: read in one place, honoured by ``configure_logging``'s defaults."""

from __future__ import annotations

import io
import json

import pytest
import structlog

from src.utils.logging import configure_logging, get_logger, log_settings_from_env


def test_settings_read_from_one_mapping() -> None:
    assert log_settings_from_env({}).level == "INFO"
    found = log_settings_from_env({"LOG_LEVEL": " warning ", "LOG_FORMAT": "JSON"})
    assert (found.level, found.json, found.format_given) == ("WARNING", True, True)
    with pytest.raises(ValueError, match="LOG_LEVEL='LOUD'"):
        log_settings_from_env({"LOG_LEVEL": "loud"})
    with pytest.raises(ValueError, match="LOG_FORMAT='xml'"):
        log_settings_from_env({"LOG_FORMAT": "xml"})


def test_configure_logging_defaults_follow_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LOG_LEVEL", "ERROR")
    monkeypatch.setenv("LOG_FORMAT", "json")
    buffer = io.StringIO()
    configure_logging(stream=buffer, force=True)
    get_logger("t").warning("not.shown")
    get_logger("t").error("shown")
    assert [json.loads(line)["event"] for line in buffer.getvalue().splitlines()] == ["shown"]
    explicit = io.StringIO()
    configure_logging(level="INFO", json=False, stream=explicit, force=True)
    get_logger("t").info("console.line")
    assert "console.line" in explicit.getvalue() and not explicit.getvalue().startswith("{")
    structlog.reset_defaults()


def test_a_bad_environment_falls_back_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "chatty")
    buffer = io.StringIO()
    configure_logging(stream=buffer, force=True)
    assert (
        "logging.bad_environment" in buffer.getvalue() and "LOG_LEVEL='CHATTY'" in buffer.getvalue()
    )
    structlog.reset_defaults()
