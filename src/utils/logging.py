"""structlog setup (console or JSON) with a processor that redacts secrets wherever they appear."""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, TextIO

import structlog

REDACTED = "***"
_SENSITIVE_KEY = re.compile(
    r"(^|[_\-.])(api[_\-]?)?(key|secret|token|signature|sign|otp|password|passphrase|auth"
    r"|authorization)s?($|[_\-.])",
    re.IGNORECASE,
)
_secrets: set[str] = set()
_configured = False


def register_secret(value: str | None) -> None:
    """Add a value that must never appear in a log line (e.g. an API secret)."""
    if value and len(value) >= 4:
        _secrets.add(value)


def is_sensitive_key(name: str) -> bool:
    """True for field names like ``api_key``, ``secret``, ``token``, ``API-Sign``, ``otp``."""
    return bool(_SENSITIVE_KEY.search(name))


def redact_text(text: str) -> str:
    """Replace every registered secret inside ``text``."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def redact(value: Any) -> Any:
    """Return ``value`` with sensitive fields and registered secrets replaced, recursively."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {
            k: REDACTED if isinstance(k, str) and is_sensitive_key(k) else redact(v)
            for k, v in value.items()
        }
    if isinstance(value, tuple):
        return tuple(redact(v) for v in value)
    if isinstance(value, list | set | frozenset):
        return [redact(v) for v in value]
    if isinstance(value, BaseException):
        return redact_text(f"{type(value).__name__}: {value}")
    if isinstance(value, int | float | bool) or value is None:
        return value
    return redact_text(str(value))


def redact_processor(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Redact every field of the event (a structlog processor; run after exception formatting)."""
    for key in list(event_dict):
        if key in ("exc_info", "stack_info"):
            continue
        value = event_dict[key]
        event_dict[key] = REDACTED if is_sensitive_key(key) else redact(value)
    return event_dict


def _renderer(json: bool) -> Any:
    if json:
        return structlog.processors.JSONRenderer()
    return structlog.dev.ConsoleRenderer(colors=False)


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("console", "json")


@dataclass(frozen=True)
class LogSettings:
    """What ``LOG_LEVEL`` and ``LOG_FORMAT`` ask for.

    Attributes:
        level: minimum level name (``INFO`` when ``LOG_LEVEL`` is unset).
        json: True for ``LOG_FORMAT=json``; False for ``console`` (the default).
        format_given: whether ``LOG_FORMAT`` was set at all (a program may pick its own
            default, e.g. JSON for a log file, when it was not).
    """

    level: str = "INFO"
    json: bool = False
    format_given: bool = False


def log_settings_from_env(environ: Mapping[str, str] | None = None) -> LogSettings:
    """Read and check ``LOG_LEVEL`` and ``LOG_FORMAT``: the one place that reads them.

    Args:
        environ: the variables to read (default ``os.environ``).

    Raises:
        ValueError: an unknown format or level, naming the variable and the values allowed.
    """
    env = os.environ if environ is None else environ
    raw_format = env.get("LOG_FORMAT", "").strip().lower()
    level = env.get("LOG_LEVEL", "").strip().upper() or "INFO"
    if raw_format not in ("", *LOG_FORMATS):
        raise ValueError(f"LOG_FORMAT={raw_format!r}: use console or json")
    if level not in LOG_LEVELS:
        raise ValueError(f"LOG_LEVEL={level!r}: use DEBUG, INFO, WARNING or ERROR")
    return LogSettings(level=level, json=raw_format == "json", format_given=bool(raw_format))


def configure_logging(
    *,
    json: bool | None = None,
    level: str | None = None,
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
    force: bool = False,
) -> None:
    """Configure structlog and stdlib logging once (call again with ``force=True`` to change).

    Args:
        json: one JSON object per line instead of the readable console format; None follows
            ``LOG_FORMAT`` (console when unset).
        level: minimum level name; None follows ``LOG_LEVEL`` (INFO when unset).
        secrets: values to redact from every line (the adapter also registers its own).
        stream: where lines go (default stderr).
        force: reconfigure even if already configured.

    An invalid ``LOG_LEVEL``/``LOG_FORMAT`` falls back to INFO/console here and is logged as
    ``logging.bad_environment`` (a program should not die for its log format); programs that
    want to refuse it call :func:`log_settings_from_env` first, as ``ktrade`` does.
    """
    global _configured
    for secret in secrets:
        register_secret(secret)
    if _configured and not force:
        return
    problem = None
    if json is None or level is None:
        try:
            env = log_settings_from_env()
        except ValueError as exc:
            env, problem = LogSettings(), str(exc)
        json = env.json if json is None else json
        level = env.level if level is None else level
    pre_chain: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact_processor,
    ]
    structlog.configure(
        processors=[*pre_chain, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=pre_chain,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            redact_processor,
            _renderer(json),
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    # httpx logs every request at INFO; keep that for DEBUG runs only.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, root.level))
    _configured = True
    if problem is not None:
        get_logger(__name__).warning("logging.bad_environment", problem=problem)


def configure_logging_from_env(
    *, secrets: Iterable[str] = (), stream: TextIO | None = None, force: bool = False
) -> None:
    """``configure_logging`` from ``LOG_FORMAT`` (console|json) and ``LOG_LEVEL`` (default INFO).

    Raises:
        ValueError: an unknown format or level, naming the variable.
    """
    env = log_settings_from_env()
    configure_logging(json=env.json, level=env.level, secrets=secrets, stream=stream, force=force)


def get_logger(name: str | None = None) -> Any:
    """A structlog logger (works before ``configure_logging`` too, with structlog defaults)."""
    return structlog.get_logger(name)
