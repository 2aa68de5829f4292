"""The ``ktrade`` parser: subcommands, shared options in either place, and short errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from src.cli.main import COMMANDS, build_parser, chosen_command, main
from tests.unit.cli.cli_support import Home, Result


def test_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for name in (
        "setup",
        "check",
        "download",
        "universe",
        "train",
        "backtest",
        "paper",
        "live",
        "status",
    ):
        assert f"    {name} " in out
    assert set(COMMANDS) == {
        "setup",
        "check",
        "download",
        "universe",
        "train",
        "backtest",
        "paper",
        "live",
        "status",
        "tune",
        "pause",
        "resume",
        "cancel-all",
        "flatten",
    }


def test_no_subcommand_prints_help_and_fails(ktrade: Callable[..., Result]) -> None:
    result = ktrade()
    assert result.code == 2
    assert "COMMAND" in result.out


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["status"], "status"),
        (["--config", "check", "status"], "status"),  # a value of --config is not a command
        (["--debug", "--log-level", "INFO", "backtest", "--pairs", "paper"], "backtest"),
        (["frobnicate", "status"], None),
        (["--debug"], None),
    ],
)
def test_chosen_command_skips_option_values(argv: list[str], expected: str | None) -> None:
    assert chosen_command(argv) == expected


@pytest.mark.parametrize(
    "argv",
    [
        ["--debug", "--log-level", "error", "--log-format", "json", "status"],
        ["status", "--debug", "--log-level", "error", "--log-format", "json"],
    ],
)
def test_shared_options_work_before_and_after_the_subcommand(argv: list[str]) -> None:
    args = build_parser(chosen_command(argv)).parse_args(argv)
    assert (args.debug, args.log_level, args.log_format) == (True, "ERROR", "json")


def test_options_before_the_subcommand_survive_its_defaults() -> None:
    args = build_parser("status").parse_args(["--config", "x.toml", "--debug", "status"])
    assert args.config == "x.toml" and args.debug is True


def test_unknown_subcommand_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["stauts"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'stauts'" in capsys.readouterr().err


def test_expected_failure_is_two_lines_without_traceback(
    home: Home, ktrade: Callable[..., Result]
) -> None:
    result = ktrade("status", "--db", str(home.root / "nope.sqlite"))
    assert result.code == 2
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert lines == [
        f"error: no runtime database at {home.root / 'nope.sqlite'}",
        "  fix: check the path given to --db",
    ]


def test_debug_adds_the_traceback(home: Home, ktrade: Callable[..., Result]) -> None:
    result = ktrade("--debug", "status", "--db", str(home.root / "nope.sqlite"))
    assert result.code == 2
    assert "Traceback (most recent call last)" in result.err
    assert "error: no runtime database" in result.err


def test_bad_log_level_in_environment_is_refused(
    home: Home, ktrade: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOG_LEVEL", "loud")
    result = ktrade("status")
    assert result.code == 2
    assert (
        result.err.splitlines()[0] == "error: LOG_LEVEL='LOUD': use DEBUG, INFO, WARNING or ERROR"
    )


def test_log_level_and_format_from_environment_reach_the_log(
    home: Home, ktrade: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOG_LEVEL", "INFO")
    monkeypatch.setenv("LOG_FORMAT", "json")
    result = ktrade("status", "--db", str(home.root / "nope.sqlite"))
    events = [line for line in result.err.splitlines() if line.startswith("{")]
    assert any('"event": "cli.start"' in e for e in events)
    assert any('"event": "cli.stop"' in e and '"exit_code": 2' in e for e in events)


def test_terminal_log_is_quiet_unless_asked(home: Home, ktrade: Callable[..., Result]) -> None:
    quiet = ktrade("status", "--db", str(home.root / "nope.sqlite"))
    loud = ktrade("--log-level", "info", "status", "--db", str(home.root / "nope.sqlite"))
    assert "cli.start" not in quiet.err
    assert "cli.start" in loud.err and "cli.failed" in loud.err


def test_config_named_but_missing_says_how_to_create_it(
    tmp_path: Path, ktrade: Callable[..., Result], home: Home
) -> None:
    missing = tmp_path / "elsewhere.toml"
    result = ktrade("--config", str(missing), "status")
    assert result.code == 2
    assert result.err.splitlines() == [
        f"error: config file not found: {missing}",
        f"  fix: create it with `ktrade setup --config {missing}`",
    ]


def test_bad_config_value_is_refused_with_the_key_named(
    home: Home, ktrade: Callable[..., Result]
) -> None:
    home.write_config("[risk]\nmax_drawdown_pct = 150\n")
    result = ktrade("status")
    assert result.code == 2
    first = result.err.splitlines()[0]
    assert first.startswith(f"error: {home.config}: [risk] max_drawdown_pct = 150: ")
    assert "less than or equal to 100" in first


def test_no_installed_module_imports_the_examples() -> None:
    # ``check``, ``paper`` and ``live`` must work from a wheel, which ships ``src`` only: the
    # example scripts are thin wrappers around ``src.app``, never the other way round.
    import ast

    from tests.support.paths import ROOT

    importers = []
    for path in sorted((ROOT / "src").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(n == "examples" or n.startswith("examples.") for n in names):
                importers.append(str(path.relative_to(ROOT)))
    assert importers == []
