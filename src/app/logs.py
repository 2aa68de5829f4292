"""Where a trading session's structured log goes: one timestamped JSON-lines file per session."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from src.utils.logging import configure_logging


def setup_logs(mode: str, directory: Path = Path("logs")) -> Path:
    """Send structured JSON logs to a new timestamped file under ``directory``.

    Returns:
        The log file's path (``<directory>/trading_<mode>_<UTC time>.jsonl``).
    """
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"trading_{mode}_{stamp}.jsonl"
    configure_logging(json=True, stream=path.open("a", encoding="utf-8"), force=True)
    return path
