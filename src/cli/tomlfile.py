"""Write the user's config as commented TOML (the standard library only reads TOML)."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

Value = str | bool | int | float | Decimal | list[Any] | None


def _value(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot write {value} to TOML")
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def render(
    sections: Mapping[str, Mapping[str, Value]],
    comments: Mapping[str, Mapping[str, str]] | None = None,
    header: str = "",
) -> str:
    """TOML text: one table per section, each key with its comment; None keys commented out.

    Args:
        sections: table name -> key -> value.
        comments: table name -> key -> one-line explanation (``""`` key: the table's own).
        header: lines written first, as comments.
    """
    comments = comments or {}
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    for name, table in sections.items():
        notes = comments.get(name, {})
        lines += ["", f"[{name}]"]
        if notes.get(""):
            lines.insert(len(lines) - 1, f"# {notes['']}")
        for key, value in table.items():
            if notes.get(key):
                lines.append(f"# {notes[key]}")
            lines.append(f"# {key} =" if value is None else f"{key} = {_value(value)}")
    return "\n".join(lines).lstrip("\n") + "\n"


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, readable by the owner only (it names key files)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)
