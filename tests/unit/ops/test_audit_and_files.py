"""The audit log stays append-only; the control file stays private; the log tail stays redacted."""

from __future__ import annotations

import logging
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from src.core.order_store import OrderStore
from src.ops.audit import AuditKind, AuditLog
from src.ops.dashboard.control_file import ControlFile, control_file_for
from src.ops.dashboard.log_tail import LogTail
from src.utils.logging import register_secret


def test_audit_rows_share_the_runtime_database_and_cannot_be_changed(tmp_path: Path) -> None:
    db = tmp_path / "paper.sqlite"
    store = OrderStore(db)
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    audit = AuditLog(db, clock=lambda: at)
    first = audit.record(AuditKind.OPERATOR, "alice", "pause", reason="lunch")
    audit.record(AuditKind.CONFIG, "bob", "risk_limits", detail={"changes": {"x": ["1", "2"]}})
    store.put("still", "works")  # the store writes on its own connection meanwhile
    with sqlite3.connect(db) as raw:
        for statement in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                raw.execute(statement)
    rows = audit.entries()
    assert [(r.id, r.actor, r.action) for r in rows] == [
        (first, "alice", "pause"),
        (first + 1, "bob", "risk_limits"),
    ]
    assert rows[0].at == at and rows[0].reason == "lunch"
    assert rows[1].detail == {"changes": {"x": ["1", "2"]}}
    assert [r.action for r in audit.entries(after_id=first)] == ["risk_limits"]
    assert [r.action for r in audit.entries(kind=AuditKind.OPERATOR)] == ["pause"]
    assert [r.action for r in audit.entries(limit=1)] == ["risk_limits"]  # the newest
    audit.close()
    assert AuditLog(db).entries()[0].actor == "alice"  # durable, reopened
    assert store.get("still") == "works"


def test_control_file_is_written_private_and_read_back(tmp_path: Path) -> None:
    db = tmp_path / "runtime" / "paper.sqlite"
    path = control_file_for(db)
    assert path == tmp_path / "runtime" / "paper.dashboard.json"
    record = ControlFile("http://127.0.0.1:8765", SecretStr("s3cret-token"), 4242)
    record.write(path)
    assert path.stat().st_mode & 0o777 == 0o600
    again = ControlFile.read(path)
    assert (again.url, again.token.get_secret_value(), again.pid) == (
        record.url,
        "s3cret-token",
        4242,
    )
    assert "s3cret-token" not in repr(again)
    os.chmod(path, 0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        ControlFile.read(path)
    record.write(path)  # rewriting tightens an existing file again
    assert path.stat().st_mode & 0o777 == 0o600


def test_control_file_is_removed_only_by_its_writer(tmp_path: Path) -> None:
    path = tmp_path / "paper.dashboard.json"
    old = ControlFile("http://127.0.0.1:1111", SecretStr("a" * 10), 1)
    new = ControlFile("http://127.0.0.1:2222", SecretStr("b" * 10), 2)
    old.write(path)
    new.write(path)  # a newer bot took over the database
    old.remove(path)
    assert ControlFile.read(path).url == new.url
    new.remove(path)
    assert not path.exists()
    new.remove(path)  # already gone: no error


def test_log_tail_keeps_the_newest_lines_and_redacts_secrets() -> None:
    secret = "tail-secret-value-123"
    register_secret(secret)
    tail = LogTail(keep=3)
    logger = logging.getLogger("test.ops.tail")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    tail.attach(logger)
    try:
        logger.debug("hidden")
        for i in range(5):
            logger.warning("line %d token=%s", i, secret)
    finally:
        tail.detach(logger)
    logger.warning("after detach")
    lines = tail.tail()
    assert len(lines) == 3
    assert [line.split()[-2] for line in lines] == ["2", "3", "4"]
    assert all(secret not in line and "***" in line for line in lines)
