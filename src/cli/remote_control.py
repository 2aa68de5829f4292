"""What ``ktrade pause|resume|cancel-all|flatten`` share: find the bot, confirm, call, report.

The bot is found through the control file its dashboard writes next to its runtime database
(``paper.sqlite`` -> ``paper.dashboard.json``, mode 0600), or named by ``--url`` with the
token in ``KTRADE_DASHBOARD_TOKEN``.
"""

from __future__ import annotations

import argparse
import getpass
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

from src.cli.errors import FAILED, CliError

if TYPE_CHECKING:
    from src.cli.context import Context
    from src.ops.dashboard.client import BotClient

TOKEN_ENV = "KTRADE_DASHBOARD_TOKEN"  # noqa: S105 - the variable's name, not a token


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """``--db``, ``--mode``, ``--url``, ``--yes``: which bot, and no prompt."""
    parser.add_argument("--db", type=Path, help="the bot's runtime database (its dashboard's)")
    parser.add_argument("--mode", choices=("paper", "mirror", "live"), help="the bot of this mode")
    parser.add_argument(
        "--url", help=f"the dashboard's URL instead (its token in ${TOKEN_ENV})", default=None
    )
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")


def _operator() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        user = "unknown"
    return f"{user}@{socket.gethostname()} (cli)"


def _client(ctx: Context) -> BotClient:
    from pydantic import SecretStr

    from src.cli.commands.status import candidates
    from src.ops.dashboard.client import BotClient
    from src.ops.dashboard.control_file import ControlFile, control_file_for

    args = ctx.args
    if args.url:
        token = os.environ.get(TOKEN_ENV, "").strip()
        if not token:
            raise CliError(f"--url needs the dashboard's token in ${TOKEN_ENV}")
        return BotClient(args.url, SecretStr(token), _operator())
    db: Path | None = args.db
    if db is None:
        runtime_dir = ctx.config().data_dir() / "runtime"
        found = candidates(runtime_dir, args.mode)
        if not found:
            raise CliError(
                f"no runtime database in {runtime_dir} or data/runtime",
                "start a bot with `ktrade paper`, or name its database with --db",
            )
        db = found[0]
    path = control_file_for(db)
    try:
        record = ControlFile.read(path)
    except FileNotFoundError:
        raise CliError(
            f"no dashboard is running for {db} (no {path.name})",
            "start the bot with its dashboard, or give --url",
            FAILED,
        ) from None
    except (PermissionError, ValueError) as exc:
        raise CliError(str(exc)) from None
    return BotClient.from_control_file(record, _operator())


def run_control(ctx: Context, action: str, question: str, **fields: Any) -> int:
    """Confirm (unless ``--yes``), run ``action`` on the bot, print what it did.

    Returns:
        0 when the bot did it, 1 when it refused (the message says why).
    """
    from src.ops.dashboard.client import BotRefusedError, BotUnreachableError

    client = _client(ctx)
    if not ctx.args.yes:
        if not ctx.interactive:
            raise CliError(
                f"{question} needs confirmation", "add --yes to confirm without a prompt"
            )
        if ctx.ask(f"{question} ({client.url}) [y/N] ").strip().lower() not in ("y", "yes"):
            ctx.print("nothing done")
            return FAILED
    try:
        result = client.control(action, **fields)
    except BotUnreachableError as exc:
        raise CliError(str(exc), "is the bot still running? `ktrade status` shows its state",
                       FAILED) from None  # fmt: skip
    except BotRefusedError as exc:
        raise CliError(str(exc), exit_code=FAILED) from None
    ctx.log("cli.operator_action", action=action, ok=result.get("ok"), url=client.url)
    ctx.print(f"{action}: {'done' if result.get('ok') else 'FAILED'}: {result.get('message')}")
    return 0 if result.get("ok") else FAILED
