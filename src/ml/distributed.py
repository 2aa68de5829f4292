"""One way to run independent jobs (folds, trials): a local process pool or a Ray cluster.

Both backends take a picklable function ``fn(shared, item)`` and a list of items and return the
results in the items' order. ``shared`` (the dataset, the base config) is sent once per worker
(a pool initializer) or once per cluster (``ray.put``), not once per job, so a fold never gets
its own copy of the data through the executor. Results do not depend on the backend: every job
is a pure function of its inputs and seeds, which a test checks by running the same search on
both.

:func:`make_executor` chooses: Ray when a Ray address is given (argument or ``RAY_ADDRESS``),
else the process pool; one worker runs the jobs inline, in this process.
"""

from __future__ import annotations

import ast
import logging
import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from types import FrameType
from typing import Any, Protocol, TypeVar

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")

#: Environment variable naming the Ray cluster (Ray's own convention).
RAY_ADDRESS_ENV = "RAY_ADDRESS"
log = logging.getLogger(__name__)


class Executor(Protocol):
    """Runs ``fn(shared, item)`` for every item; results come back in the items' order."""

    @property
    def name(self) -> str:
        """Backend name for logs and MLflow tags (``inline``, ``process-pool``, ``ray``)."""
        ...

    @property
    def workers(self) -> int:
        """How many jobs can run at once."""
        ...

    def map(self, fn: Callable[[S, T], R], shared: S, items: Sequence[T]) -> list[R]:
        """Run ``fn(shared, item)`` for each item and return the results in order."""
        ...

    def close(self) -> None:
        """Release the workers (the executor cannot be used after)."""
        ...


# A spawned worker's copy of ``shared``, received once through the pool's initializer.
_WORKER_SHARED: dict[str, Any] = {}


def _install(shared: Any) -> None:
    _WORKER_SHARED["shared"] = shared


def _call(fn: Callable[[Any, Any], Any], item: Any) -> Any:
    return fn(_WORKER_SHARED["shared"], item)


def _is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    sides = [node.test.left, *node.test.comparators]
    names = [s.id for s in sides if isinstance(s, ast.Name)]
    texts = [s.value for s in sides if isinstance(s, ast.Constant)]
    return names == ["__name__"] and texts == ["__main__"]


def _guarded_lines(path: str) -> list[tuple[int, int]]:
    try:
        with open(path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read(), path)
    except (OSError, SyntaxError, ValueError):
        return []
    return [(n.lineno, n.end_lineno or n.lineno) for n in tree.body if _is_main_guard(n)]


def unguarded_main_call(frame: FrameType | None = None) -> str | None:
    """Where the main script starts a pool outside ``if __name__ == "__main__":``, if it does.

    A spawned (or forkserver) worker re-runs the main script as ``__mp_main__`` before it
    takes a job; top-level code that starts a pool then runs again in every worker, which dies
    (or waits) before it ever answers: the pool breaks or hangs. This walks the call stack to
    the main script's module-level frame and returns ``file:line`` of the call when that line
    is not inside a ``__main__`` guard, or None (a guarded call, ``python -c``, a REPL,
    ``python -m`` of a module, or a call from inside a worker).
    """
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or path is None or getattr(main, "__spec__", None) is not None:
        return None  # -m runs by module name; -c / REPL have no file to re-run
    if multiprocessing.parent_process() is not None:
        return None  # a worker: the parent decided already
    current: FrameType | None = frame or sys._getframe(1)
    while current is not None:
        if current.f_code.co_name == "<module>" and current.f_globals is vars(main):
            line = current.f_lineno
            if any(start <= line <= end for start, end in _guarded_lines(path)):
                return None
            return f"{path}:{line}"
        current = current.f_back
    return None


class ProcessPool:
    """A local pool of ``workers`` spawned processes (inline when ``workers`` is 1).

    Processes are spawned, not forked: LightGBM's and polars' thread pools do not survive a
    fork. The pool is created on the first ``map`` and reused until ``close``; a new ``shared``
    value replaces the pool, so each worker receives it once through the initializer.
    """

    def __init__(self, workers: int | None = None) -> None:
        self._workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
        self._pool: ProcessPoolExecutor | None = None
        self._shared: object = None

    @property
    def name(self) -> str:
        """``inline`` for one worker, else ``process-pool``."""
        return "inline" if self._workers == 1 else "process-pool"

    @property
    def workers(self) -> int:
        """Processes in the pool."""
        return self._workers

    def map(self, fn: Callable[[S, T], R], shared: S, items: Sequence[T]) -> list[R]:
        """Run the jobs on the pool (or inline) and return their results in order."""
        if self._workers == 1 or len(items) <= 1:
            return [fn(shared, item) for item in items]
        where = unguarded_main_call()
        if where is not None:
            log.warning(
                "process pool started from the main script's top level (%s), outside "
                '`if __name__ == "__main__":`: spawned workers would re-run the script and '
                "the pool would break or hang, so the %d jobs run serially in this process; "
                "put the call under the guard to use %d workers",
                where,
                len(items),
                self._workers,
            )
            return [fn(shared, item) for item in items]
        if self._pool is None or self._shared is not shared:
            self.close()
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                self._workers, mp_context=context, initializer=_install, initargs=(shared,)
            )
            self._shared = shared
        futures = [self._pool.submit(_call, fn, item) for item in items]
        return [f.result() for f in futures]

    def close(self) -> None:
        """Shut the pool down (waiting for running jobs)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool, self._shared = None, None


class RayExecutor:
    """Jobs as Ray tasks on the cluster at ``address`` (``local`` starts one in this process).

    ``shared`` goes to the object store once per ``map``; each task gets a reference to it.
    Ray is imported here only, so the process pool needs no Ray installed.

    Args:
        address: A Ray address (``ray://host:10001``, ``auto``) or ``local``.
        num_cpus: CPUs of a local instance (ignored when joining a cluster).
        cpus_per_job: CPUs Ray reserves per task (LightGBM here fits with one thread).
    """

    def __init__(self, address: str, *, num_cpus: int | None = None, cpus_per_job: float = 1.0):
        import ray

        self._ray = ray
        self._started = False
        if not ray.is_initialized():
            options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
            if address == "local":
                ray.init(num_cpus=num_cpus, **options)
            else:
                ray.init(address=address, **options)
            self._started = True
        self._cpus_per_job = cpus_per_job

    @property
    def name(self) -> str:
        """``ray``."""
        return "ray"

    @property
    def workers(self) -> int:
        """CPUs the cluster offers divided by the CPUs a job reserves."""
        resources: dict[str, float] = self._ray.cluster_resources()  # type: ignore[no-untyped-call]
        cpus = float(resources.get("CPU", 1.0))
        return max(1, int(cpus // self._cpus_per_job))

    def map(self, fn: Callable[[S, T], R], shared: S, items: Sequence[T]) -> list[R]:
        """Submit one task per item and wait for all of them, in order."""
        ray = self._ray
        remote = ray.remote(num_cpus=self._cpus_per_job)(_ray_job)
        ref = ray.put(shared)
        results: list[R] = ray.get([remote.remote(fn, ref, item) for item in items])
        return results

    def close(self) -> None:
        """Shut down the Ray instance if this executor started it."""
        if self._started:
            self._ray.shutdown()
            self._started = False


def _ray_job(fn: Callable[[Any, Any], Any], shared: Any, item: Any) -> Any:
    # Ray resolves the object reference passed as a top-level argument before the call.
    return fn(shared, item)


def make_executor(
    ray_address: str | None = None, workers: int | None = None, *, num_cpus: int | None = None
) -> Executor:
    """Ray when an address is given (or ``RAY_ADDRESS`` is set), else a local process pool.

    Args:
        ray_address: Ray cluster address, ``local`` for an in-process instance, or None.
        workers: Process pool size (default: the CPU count; 1 runs inline).
        num_cpus: CPUs of a ``local`` Ray instance.
    """
    address = ray_address or os.environ.get(RAY_ADDRESS_ENV)
    if address:
        return RayExecutor(address, num_cpus=num_cpus)
    return ProcessPool(workers)


__all__ = [
    "RAY_ADDRESS_ENV",
    "Executor",
    "ProcessPool",
    "RayExecutor",
    "make_executor",
    "unguarded_main_call",
]
