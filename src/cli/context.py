"""What every subcommand gets: its options, the config in force, logging, where to print."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from src.cli.errors import CliError

if TYPE_CHECKING:
    from src.brokers.credentials import BrokerCredentials
    from src.cli.config import UserConfig


@dataclass
class Context:
    """One run of ``ktrade``.

    Attributes:
        args: the parsed command line.
        command: the subcommand.
        config_path: the config file in force.
        config_required: the file was named (``--config``/``$KTRADE_CONFIG``), so must exist.
        debug: tracebacks and DEBUG logs.
        out / err: where results and messages go.
        ask / ask_secret: how to prompt (``input`` and ``getpass``; tests script them).
        interactive: whether a person can answer prompts (stdin is a terminal).
    """

    args: argparse.Namespace
    command: str
    config_path: Path
    config_required: bool
    debug: bool = False
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    ask: Callable[[str], str] = field(default=lambda prompt: input(prompt))
    ask_secret: Callable[[str], str] = field(default=lambda prompt: getpass.getpass(prompt))
    interactive: bool = field(default_factory=lambda: sys.stdin.isatty())
    started: float = field(default_factory=time.monotonic)
    logging_started: bool = False
    _config: UserConfig | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Context:
        """The context of a parsed command line (never raises: problems surface in ``run``)."""
        from src.cli.config import default_config_path

        given = getattr(args, "config", None)
        path = Path(given).expanduser() if given else default_config_path()
        required = bool(given) or bool(os.environ.get("KTRADE_CONFIG", "").strip())
        return cls(args, args.command, path, required, bool(getattr(args, "debug", False)))

    def log_choice(self) -> tuple[str | None, bool | None]:
        """The log level and format chosen: option, else environment; None when not chosen.

        Raises:
            CliError: ``LOG_LEVEL`` or ``LOG_FORMAT`` holds a value no logger knows.
        """
        from src.utils.logging import log_settings_from_env

        try:
            env = log_settings_from_env()
        except ValueError as exc:
            raise CliError(str(exc), "fix or unset the variable") from None
        level = getattr(self.args, "log_level", None) or ("DEBUG" if self.debug else None)
        if level is None and os.environ.get("LOG_LEVEL", "").strip():
            level = env.level
        chosen = getattr(self.args, "log_format", None)
        json = (chosen == "json") if chosen else (env.json if env.format_given else None)
        return level, json

    def start_logging(self, stream: TextIO | None = None, *, to_file: bool = False) -> None:
        """Send logs to ``stream`` (default stderr) and record the start of the run.

        Unless chosen, a terminal gets WARNING and above in the console format (results stay
        readable); a log file gets INFO and above as JSON.
        """
        from src.utils.logging import configure_logging, get_logger

        level, json = self.log_choice()
        configure_logging(
            json=json if json is not None else to_file,
            level=level or ("INFO" if to_file else "WARNING"),
            stream=stream or self.err,
            force=True,
        )
        self.logging_started = True
        get_logger("ktrade").info(
            "cli.start", command=self.command, argv=sys.argv[1:], config=str(self.config_path)
        )

    def log_to_file(self, folder: Path, name: str) -> Path:
        """Send the run's logs to a new JSON file ``folder/name_<UTC stamp>.jsonl`` (returned).

        Used by the long-running commands, whose per-order log lines would bury their output.
        """
        from datetime import UTC, datetime

        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}_{datetime.now(UTC):%Y%m%dT%H%M%SZ}.jsonl"
        self.start_logging(path.open("a", encoding="utf-8"), to_file=True)
        return path

    def log(self, event: str, **fields: Any) -> None:
        """Record an event (operator actions, the config in force) in the log."""
        from src.utils.logging import get_logger

        get_logger("ktrade").info(event, command=self.command, **fields)

    def finish(self, code: int) -> int:
        """Record the end of the run and return ``code``."""
        if self.logging_started:  # a failure before that has nowhere to be recorded
            self.log("cli.stop", exit_code=code, seconds=round(time.monotonic() - self.started, 3))
        return code

    def config(self) -> UserConfig:
        """The user's config (loaded once)."""
        if self._config is None:
            from src.cli.config import load_config

            self._config = load_config(self.config_path, required=self.config_required)
        return self._config

    def print(self, *lines: str) -> None:
        """Print result lines to ``out``."""
        for line in lines:
            print(line, file=self.out, flush=True)

    def warn(self, text: str) -> None:
        """Print a warning a person must see (to ``err``, marked)."""
        print(f"WARNING: {text}", file=self.err, flush=True)

    def credentials(self) -> BrokerCredentials:
        """The stored keys, asking for the credentials file's passphrase when a person is there.

        Raises:
            CredentialsLockedError: the keys are in the encrypted file and nobody can answer.
        """
        from src.brokers.credentials import BrokerCredentials, CredentialsLockedError

        try:
            return BrokerCredentials()
        except CredentialsLockedError:
            if not self.interactive:
                raise
        passphrase = self.ask_secret("Passphrase of your ktrade credentials file: ")
        return BrokerCredentials.with_passphrase(passphrase)
