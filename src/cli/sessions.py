"""The record of trading sessions, and the paper gate ``ktrade live`` applies.

Each ``paper`` or ``live`` session appends one JSON line to ``<runtime dir>/sessions.jsonl``.
``live`` refuses to start unless a paper session of the same strategy (same identity) ended
cleanly within the configured hours and ran at least the configured minutes.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

FILE = "sessions.jsonl"


@dataclass(frozen=True)
class SessionRecord:
    """One finished session.

    Attributes:
        mode: paper, mirror or live.
        identity: the strategy's identity (see ``strategies.Resolved``).
        started / ended: UTC ISO times.
        seconds: real seconds it ran.
        exit_code: what the session returned (0: ran and summarized).
        kill_reason: why the kill switch tripped, if it did.
        fills: fills applied during the session.
    """

    mode: str
    identity: str
    started: str
    ended: str
    seconds: float
    exit_code: int
    kill_reason: str | None
    fills: int

    @property
    def clean(self) -> bool:
        """Ran to its end and summarized, and the kill switch never tripped."""
        return self.exit_code == 0 and self.kill_reason is None


def record(runtime_dir: Path, rec: SessionRecord) -> None:
    """Append ``rec`` to the sessions file."""
    runtime_dir.mkdir(parents=True, exist_ok=True)
    with (runtime_dir / FILE).open("a", encoding="utf-8") as out:
        out.write(json.dumps(asdict(rec)) + "\n")


def read(runtime_dir: Path) -> list[SessionRecord]:
    """Every readable record, oldest first (a damaged line is skipped)."""
    path = runtime_dir / FILE
    if not path.is_file():
        return []
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            found.append(SessionRecord(**json.loads(line)))
        except (ValueError, TypeError):
            continue
    return found


def paper_gate(
    runtime_dir: Path,
    identity: str,
    *,
    hours: float,
    minutes: float,
    now: datetime | None = None,
) -> tuple[SessionRecord | None, str]:
    """The newest paper session that lets ``identity`` go live, and why not if there is none.

    Returns:
        (the session, "") when one qualifies, else (None, the reason in words).
    """
    now = now or datetime.now(UTC)
    since = now - timedelta(hours=hours)
    same = [
        r for r in read(runtime_dir) if r.mode in ("paper", "mirror") and r.identity == identity
    ]
    if not same:
        return None, f"no paper session of this strategy yet ({identity})"
    recent = [r for r in same if datetime.fromisoformat(r.ended) >= since]
    if not recent:
        return None, f"the last paper session of this strategy ended over {hours:g} h ago"
    good = [r for r in recent if r.clean and r.seconds >= minutes * 60]
    if not good:
        last = recent[-1]
        why = (
            f"its kill switch tripped ({last.kill_reason})"
            if last.kill_reason
            else f"it exited with status {last.exit_code}"
            if last.exit_code
            else f"it ran {last.seconds:.0f} s, under {minutes:g} min"
        )
        return None, f"no recent paper session of this strategy qualifies: {why}"
    return good[-1], ""
