"""Show what a bot is doing: positions, open orders, PnL and the kill switch, from its database.

Reads the runtime database of a running (or stopped) bot; it never talks to the exchange, so
it is safe to run at any time, as often as you like. Without --db it takes the most recently
written of the databases ``ktrade paper``/``live`` (and the examples) keep.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from src.cli.context import Context

MODES = ("paper", "mirror", "live")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--db``, ``--mode``, ``--json``, ``--fills``."""
    parser.add_argument("--db", type=Path, help="the runtime database to read")
    parser.add_argument("--mode", choices=MODES, help="the database of this mode")
    parser.add_argument("--fills", type=int, default=5, metavar="N", help="recent fills shown")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")


def candidates(runtime_dir: Path, mode: str | None) -> list[Path]:
    """The databases ``status`` may read, newest first (``ktrade``'s, then the examples')."""
    modes = [mode] if mode else list(MODES)
    found = [
        folder / f"{m}.sqlite"
        for folder in (runtime_dir, Path("data/runtime"))
        for m in modes
        if (folder / f"{m}.sqlite").is_file()
    ]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def run(ctx: Context) -> int:
    """Print the status of one database; exit 2 when there is none."""
    import json

    from src.cli.errors import CliError
    from src.cli.status_view import as_dict, read_status, render

    config = ctx.config()
    runtime_dir = config.data_dir() / "runtime"
    path: Path | None = ctx.args.db
    if path is None:
        found = candidates(runtime_dir, ctx.args.mode)
        if not found:
            raise CliError(
                f"no runtime database in {runtime_dir} or data/runtime",
                "start a bot with `ktrade paper`, or name the database with --db",
            )
        path = found[0]
    elif not path.is_file():
        raise CliError(f"no runtime database at {path}", "check the path given to --db")
    kill_file = Path(config.risk.kill_file) if config.risk.kill_file else None
    status = read_status(path, kill_file)
    if ctx.args.json:
        ctx.print(json.dumps(as_dict(status), indent=2, default=str))
    else:
        ctx.print(*render(status, recent_fills=max(0, ctx.args.fills)))
    return 0
