"""structlog setup (console or JSON) with a processor that redacts secrets wherever they appear."""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterable, Mapping, MutableMapping
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


def configure_logging(
    *,
    json: bool = False,
    level: str = "INFO",
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
    force: bool = False,
) -> None:
    """Configure structlog and stdlib logging once (call again with ``force=True`` to change).

    Args:
        json: one JSON object per line instead of the readable console format.
        level: minimum level name.
        secrets: values to redact from every line (the adapter also registers its own).
        stream: where lines go (default stderr).
        force: reconfigure even if already configured.
    """
    global _configured
    for secret in secrets:
        register_secret(secret)
    if _configured and not force:
        return
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


def configure_logging_from_env(
    *, secrets: Iterable[str] = (), stream: TextIO | None = None, force: bool = False
) -> None:
    """``configure_logging`` from ``LOG_FORMAT`` (console|json) and ``LOG_LEVEL`` (default INFO).

    Raises:
        ValueError: an unknown format or level, naming the variable.
    """
    fmt = os.environ.get("LOG_FORMAT", "console").strip().lower() or "console"
    level = os.environ.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if fmt not in ("console", "json"):
        raise ValueError(f"LOG_FORMAT={fmt!r}: use console or json")
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ValueError(f"LOG_LEVEL={level!r}: use DEBUG, INFO, WARNING or ERROR")
    configure_logging(json=fmt == "json", level=level, secrets=secrets, stream=stream, force=force)


def get_logger(name: str | None = None) -> Any:
    """A structlog logger (works before ``configure_logging`` too, with structlog defaults)."""
    return structlog.get_logger(name)
