"""One handler for every failure: expected ones become a line or two with the fix.

A traceback is shown only with ``--debug``. Nothing here imports a heavy library: exception
types of httpx, pydantic or the ML package are recognised only if the program already loaded
them (``sys.modules``), since an error of a library never imported cannot have happened.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any, TextIO

#: Exit statuses.
FAILED, USAGE, INTERRUPTED = 1, 2, 130


class CliError(Exception):
    """An expected failure: what is wrong, and what to do about it.

    Args:
        message: what is wrong, in one line.
        fix: what to do, in one line (None if the message says it).
        exit_code: the process exit status (2: usage or configuration, 1: a failed run).
    """

    def __init__(self, message: str, fix: str | None = None, exit_code: int = USAGE) -> None:
        super().__init__(message)
        self.message, self.fix, self.exit_code = message, fix, exit_code

    def lines(self) -> list[str]:
        """The message as printed: ``error: ...`` and, if known, ``fix: ...``."""
        out = [f"error: {self.message}"]
        if self.fix:
            out.append(f"  fix: {self.fix}")
        return out


def _loaded(module: str, name: str) -> type[BaseException] | None:
    found = getattr(sys.modules.get(module), name, None)
    return found if isinstance(found, type) and issubclass(found, BaseException) else None


def _validation(exc: BaseException) -> CliError | None:
    kind = _loaded("pydantic", "ValidationError")
    if kind is None or not isinstance(exc, kind):
        return None
    errors: list[dict[str, Any]] = exc.errors()  # type: ignore[attr-defined]
    first = str(errors[0]["msg"]).removeprefix("Value error, ") if errors else str(exc)
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return CliError(first + more, "correct the value named (in .env, the environment or config)")


def _network(exc: BaseException) -> CliError | None:
    from src.core.errors import NetworkError, ServiceUnavailableError

    transport = _loaded("httpx", "TransportError")
    if isinstance(exc, NetworkError | ConnectionError | TimeoutError) or (
        transport is not None and isinstance(exc, transport)
    ):
        return CliError(
            f"cannot reach the exchange: {exc}",
            "check your connection, or KRAKEN_API_URL if you set it; `ktrade check` tests it",
            FAILED,
        )
    if isinstance(exc, ServiceUnavailableError):
        return CliError(f"the exchange is unavailable: {exc}", "try again in a few minutes", FAILED)
    return None


def _broker(exc: BaseException) -> CliError | None:
    from src.core.errors import (
        AuthenticationError,
        BrokerError,
        PermissionDeniedError,
        RateLimitError,
        UnknownSymbolError,
    )

    if isinstance(exc, AuthenticationError):
        return CliError(
            f"Kraken refused the API key: {exc}",
            "copy the key and private key again from Kraken (Settings > API), then `ktrade setup`",
            FAILED,
        )
    if isinstance(exc, PermissionDeniedError):
        return CliError(
            f"the API key lacks a permission: {exc}",
            "enable Query Funds, Query Open/Closed Orders & Trades, Create & Modify Orders "
            "and Cancel/Close Orders on the key",
            FAILED,
        )
    if isinstance(exc, UnknownSymbolError):
        return CliError(str(exc), "write pairs as BASE/QUOTE, e.g. BTC/USD; `ktrade universe`")
    if isinstance(exc, RateLimitError):
        wait = f" for {exc.retry_after:.0f} s" if exc.retry_after else ""
        return CliError(f"rate limited: {exc}", f"wait{wait} and try again", FAILED)
    if isinstance(exc, BrokerError):
        return CliError(str(exc), None, FAILED)
    return None


def _config(exc: BaseException) -> CliError | None:
    from src.core.errors import ConfigurationError, MissingCredentialError

    if isinstance(exc, MissingCredentialError):
        return CliError(str(exc), "run `ktrade setup`, or set the variable in .env")
    if isinstance(exc, ConfigurationError):
        return CliError(str(exc), None)
    if isinstance(exc, FileNotFoundError):
        name = exc.filename or str(exc)
        return CliError(f"file not found: {name}", "check the path (or run `ktrade download`)")
    if isinstance(exc, PermissionError):
        return CliError(f"not allowed: {exc}", "check the file's owner and permissions")
    if isinstance(exc, LookupError) and not isinstance(exc, KeyError | IndexError):
        return CliError(
            str(exc),
            "train a model with `ktrade train` (from the same folder, or with the same "
            "[ml] tracking_uri), or give --model RUN_ID",
        )
    return None


def explain(exc: BaseException) -> CliError | None:
    """The short form of an expected failure, or None for a bug."""
    if isinstance(exc, CliError):
        return exc
    if isinstance(exc, KeyboardInterrupt):
        return CliError("interrupted", None, INTERRUPTED)
    for rule in (_validation, _network, _broker, _config):
        found = rule(exc)
        if found is not None:
            return found
    return None


def _redact(text: str) -> str:
    from src.utils.logging import redact_text

    return redact_text(text)


def report(exc: BaseException, *, debug: bool, err: TextIO | None = None) -> int:
    """Print ``exc`` for a person (a traceback only with ``debug``); return the exit status."""
    out = err or sys.stderr
    if debug:
        out.write(_redact("".join(traceback.format_exception(exc))))
    known = explain(exc)
    if known is None:
        print(_redact(f"error: unexpected {type(exc).__name__}: {exc}"), file=out)
        if not debug:
            print("  fix: run again with --debug for the traceback, and report it", file=out)
        return FAILED
    for line in known.lines():
        print(_redact(line), file=out)
    return known.exit_code
