"""The file that tells ``ktrade pause|resume|...`` where a running bot's dashboard is.

It sits next to the runtime database (``paper.sqlite`` -> ``paper.dashboard.json``), holds the
dashboard's URL and token, and is readable by its owner only (0600): whoever can read it can
steer the bot.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

SUFFIX = ".dashboard.json"


def control_file_for(db_path: Path | str) -> Path:
    """Return the control file's path for a runtime database."""
    path = Path(db_path)
    return path.with_name(path.stem + SUFFIX)


@dataclass(frozen=True)
class ControlFile:
    """What the file holds: the dashboard's URL, its token and the bot's process id."""

    url: str
    token: SecretStr
    pid: int

    def write(self, path: Path) -> None:
        """Write the file atomically, created with mode 0600 (never readable by others)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        data = {"url": self.url, "token": self.token.get_secret_value(), "pid": self.pid}
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)  # in case the file existed with wider permissions
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        os.replace(temporary, path)

    @classmethod
    def read(cls, path: Path) -> ControlFile:
        """Read the file.

        Raises:
            FileNotFoundError: no bot with a dashboard wrote it.
            ValueError: it is not a control file.
            PermissionError: others may read it (it holds a token); fix with ``chmod 600``.
        """
        mode = path.stat().st_mode & 0o077
        if mode:
            raise PermissionError(f"{path} is readable by others (mode {oct(mode)}); chmod 600")
        data = json.loads(path.read_text(encoding="utf-8"))
        try:
            return cls(str(data["url"]), SecretStr(str(data["token"])), int(data["pid"]))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"{path}: not a dashboard control file ({exc})") from None

    def remove(self, path: Path) -> None:
        """Delete the file if it is still this one's (a newer bot's file stays)."""
        try:
            current = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return
        if current.get("url") == self.url and current.get("pid") == self.pid:
            path.unlink(missing_ok=True)
