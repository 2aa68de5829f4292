"""The ``ktrade`` entry point: one parser, shared options, subcommands imported only when used."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Protocol

PROG = "ktrade"
VERSION = "0.1.0"

#: Subcommand -> one-line help. ``ktrade --help`` prints these without importing any command.
COMMANDS: dict[str, str] = {
    "setup": "create your config and store your Kraken keys (interactive)",
    "check": "test the connection and the API key (the paper exchange when no key is set)",
    "download": "fetch candles into the candle store, or import Kraken's CSV archives",
    "universe": "choose pairs by quote, status, volume and spread; write them to the config",
    "train": "walk-forward train a model, tracked in MLflow",
    "tune": "search model and policy parameters in nested walk-forward (Optuna; Ray optional)",
    "backtest": "replay a strategy through the live strategy, risk and order code; HTML report",
    "paper": "trade on the local paper exchange (no real money)",
    "live": "trade on Kraken with real money (after a paper session and a typed confirmation)",
    "status": "what a bot is doing: positions, open orders, PnL, kill switch (from its database)",
    "pause": "pause a running bot's new entries (exits still go out), via its dashboard",
    "resume": "resume a paused bot's new entries",
    "cancel-all": "cancel every open order of a running bot's account",
    "flatten": "close a running bot's positions at market (all, or --symbol)",
}
#: Shared options that take a value (so their value is never mistaken for a subcommand).
_VALUE_OPTIONS = ("--config", "--log-level", "--log-format")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

EPILOG = """\
a first session, in order:
  ktrade setup          config and keys (skip it to stay on the paper exchange)
  ktrade check          is the connection and the key fine?
  ktrade download       candles into the candle store
  ktrade train          a model, tracked in MLflow
  ktrade backtest       any strategy over history, with an HTML report
  ktrade paper          the strategy on the local paper exchange
  ktrade live           the same with real money

environment: KTRADE_CONFIG (config file), LOG_LEVEL, LOG_FORMAT (console|json),
KRAKEN_API_KEY / KRAKEN_API_SECRET (override the stored keys), KRAKEN_API_URL.
"""


class Command(Protocol):
    """What a module in ``src/cli/commands`` provides."""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add the subcommand's own options."""
        ...

    def run(self, ctx: object) -> int:
        """Run the subcommand; return the exit status."""
        ...


def load_command(name: str) -> Command:
    """Import the module of subcommand ``name``."""
    module: Command = importlib.import_module(f"src.cli.commands.{name.replace('-', '_')}")
    return module


def add_common_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """The options every subcommand takes, before or after its name.

    On a subcommand they default to ``SUPPRESS``, so ``ktrade --debug check`` is not undone
    by the subcommand's own (absent) ``--debug``.
    """
    keep = {} if top else {"default": argparse.SUPPRESS}
    group = parser.add_argument_group("common options")
    group.add_argument(
        "--config",
        metavar="FILE",
        help="config file (default: $KTRADE_CONFIG, else config.toml in your user config dir)",
        **({"default": None} if top else keep),
    )
    group.add_argument(
        "--debug",
        action="store_true",
        help="show tracebacks and DEBUG logs",
        **({"default": False} if top else keep),
    )
    group.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        help="log level (default: $LOG_LEVEL, else WARNING on the terminal, INFO in log files)",
        **({"default": None} if top else keep),
    )
    group.add_argument(
        "--log-format",
        choices=("console", "json"),
        help="log format (default: $LOG_FORMAT, else console; JSON for trading log files)",
        **({"default": None} if top else keep),
    )


def chosen_command(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv`` (skipping the values of the shared options)."""
    skip = False
    for token in argv:
        if skip:
            skip = False
        elif token in _VALUE_OPTIONS:
            skip = True
        elif token in COMMANDS:
            return token
        elif not token.startswith("-"):
            return None  # an unknown word: argparse will say which commands exist
    return None


def build_parser(chosen: str | None) -> argparse.ArgumentParser:
    """The parser; only ``chosen`` gets its real options (the others are one-line stubs)."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Kraken ML trader: data, training, backtests, paper and live trading.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {VERSION}")
    add_common_options(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name, summary in COMMANDS.items():
        if name != chosen:
            sub.add_parser(name, help=summary, add_help=False)
            continue
        module = load_command(name)
        doc = getattr(module, "__doc__", None) or summary
        command = sub.add_parser(
            name,
            help=summary,
            description=doc,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        add_common_options(command, top=False)
        module.add_arguments(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, run the subcommand, turn expected failures into short messages.

    Returns:
        The exit status: 0 success, 1 a check or run failed, 2 a usage or configuration
        error, 130 interrupted.
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(chosen_command(args_list))
    args = parser.parse_args(args_list)
    if args.command is None:
        parser.print_help()
        return 2
    from src.cli.context import Context

    ctx = Context.from_args(args)
    try:
        ctx.start_logging()
        return ctx.finish(load_command(args.command).run(ctx))
    except BaseException as exc:  # every failure goes through one handler (SystemExit aside)
        if isinstance(exc, SystemExit):
            raise
        from src.cli.errors import report

        if ctx.logging_started:
            ctx.log("cli.failed", error=f"{type(exc).__name__}: {exc}")
        return ctx.finish(report(exc, debug=ctx.debug, err=ctx.err))


if __name__ == "__main__":
    sys.exit(main())
