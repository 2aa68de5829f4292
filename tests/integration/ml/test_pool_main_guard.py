"""A pool started outside a ``__main__`` guard runs its jobs serially with a warning, not hangs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from src.ml.distributed import unguarded_main_call

ROOT = Path(__file__).resolve().parents[3]
JOB = f"""
import logging, multiprocessing, sys
sys.path.insert(0, {str(ROOT)!r})
from src.ml.distributed import ProcessPool

def job(shared, item):
    return shared + item, multiprocessing.parent_process() is not None

def run():
    pool = ProcessPool(2)
    print("result", pool.map(job, 10, [1, 2, 3]), flush=True)
    pool.close()

logging.basicConfig()
"""


def _run(tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "script.py"
    script.write_text(JOB + body, encoding="utf-8")
    # The timeout is the test: without the check, spawned workers re-run the script.
    return subprocess.run(  # noqa: S603 - our interpreter on the test's own script
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )


def test_unguarded_script_runs_serially_and_says_why(tmp_path: Path) -> None:
    done = _run(tmp_path, "run()\n")
    assert done.returncode == 0, done.stderr
    # Same results, computed in the script's own process (no worker), and a warning that
    # names the line and the fix.
    assert "result [(11, False), (12, False), (13, False)]" in done.stdout
    assert 'outside `if __name__ == "__main__":`' in done.stderr
    assert f"{tmp_path / 'script.py'}:" in done.stderr
    assert "BrokenProcessPool" not in done.stderr


def test_guarded_script_uses_the_workers(tmp_path: Path) -> None:
    done = _run(tmp_path, 'if __name__ == "__main__":\n    run()\n')
    assert done.returncode == 0, done.stderr
    assert "result [(11, True), (12, True), (13, True)]" in done.stdout
    assert "serially" not in done.stderr


def test_a_call_from_a_module_or_a_test_is_not_flagged() -> None:
    # pytest's entry script calls into this test from inside its own guard.
    assert unguarded_main_call() is None
