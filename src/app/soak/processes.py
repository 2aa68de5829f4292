"""The soak's child processes: start, SIGTERM, SIGKILL, restart; output kept in the workdir."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from pathlib import Path

import httpx

from src.app.paths import PROJECT_ROOT

PAPER_CLI = "src.venues.kraken_paper"
FALLBACK_CLI = "src.app.soak.exchange_main"


class ManagedProcess:
    """One child process (``python -m module args``) run from the project root.

    Each start writes to a fresh ``<name>-<n>.log`` in ``out_dir`` (stdout and stderr).
    """

    def __init__(self, name: str, argv: list[str], out_dir: Path, cwd: Path = PROJECT_ROOT):
        self.name, self.argv, self.out_dir, self.cwd = name, argv, out_dir, cwd
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0
        self.log_path: Path | None = None
        self.started_at = 0.0

    async def start(self) -> None:
        """Start a new instance (the previous one must have ended)."""
        self.starts += 1
        self.log_path = self.out_dir / f"{self.name}-{self.starts}.log"
        env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "PYTHONUNBUFFERED": "1"}
        with self.log_path.open("wb") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", *self.argv, cwd=self.cwd, env=env,
                stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
        self.started_at = time.time()

    @property
    def alive(self) -> bool:
        """True while the current instance runs."""
        return self.proc is not None and self.proc.returncode is None

    @property
    def pid(self) -> int | None:
        """The current instance's pid (None before the first start)."""
        return None if self.proc is None else self.proc.pid

    async def kill9(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed or saved."""
        if self.proc is not None and self.alive:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()

    async def terminate(self, timeout: float = 60.0) -> int | None:
        """SIGTERM and wait; SIGKILL after ``timeout`` seconds. Returns the exit status."""
        if self.proc is None:
            return None
        if self.alive:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), timeout)
            except TimeoutError:
                await self.kill9()
        return self.proc.returncode

    def rss_bytes(self) -> int | None:
        """Resident memory of the current instance (``VmRSS`` in /proc), None if not running."""
        if not self.alive or self.pid is None:
            return None
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return None

    def output(self) -> str:
        """The current instance's output so far."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")


def paper_cli_has_clock_speed() -> bool:
    """Does ``python -m src.venues.kraken_paper`` take ``--clock-speed`` (an accelerated clock)?"""
    import subprocess

    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", PAPER_CLI, "--help"], cwd=PROJECT_ROOT,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    return "--clock-speed" in result.stdout


def exchange_argv(
    port: int, db: Path, key: str, secret: str, speed: float, tier: str, clock_flag: bool
) -> list[str]:
    """The standalone paper exchange's command line (the fallback launcher's without the flag)."""
    common = [
        "--port", str(port), "--db", str(db), "--api-key", key, "--api-secret", secret,
        "--market", "replay", "--speed", str(speed), "--tier", tier,
    ]  # fmt: skip
    if clock_flag:
        return [PAPER_CLI, *common, "--clock-speed", str(speed)]
    return [FALLBACK_CLI, *common, "--clock-anchor", str(db.with_suffix(".clock.json"))]


async def wait_http(url: str, timeout: float, proc: ManagedProcess) -> None:
    """Poll ``url`` (the exchange's public Time) until it answers; fail if the process died."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if not proc.alive:
                raise RuntimeError(f"{proc.name} exited:\n{proc.output()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(url)).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{proc.name} not ready after {timeout} s:\n{proc.output()[-3000:]}")
