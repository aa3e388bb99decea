"""Local worker processes for sweeps: a lost worker is replaced, and none outlives us.

`concurrent.futures.ProcessPoolExecutor` gives up when one worker dies (the OOM killer,
a `kill`, a crash in compiled code): every pending run fails with `BrokenProcessPool`.
Here each worker runs one task at a time (plus one queued), over a pipe of its own, so
the pool knows which tasks a dead worker held: it starts a new worker and queues those
tasks again. A task that has killed `MAX_ATTEMPTS` workers is given up, and reported
through `lost(task, exitcode)`, so that one poisonous run cannot stall a sweep.

Workers die with the process that started them: on Linux the kernel kills them when
their parent dies (`prctl(PR_SET_PDEATHSIG)`; strictly, when the thread that started them
ends, and a pool is used and stopped in one thread), elsewhere a thread in each worker
watches its parent. They ignore Ctrl+C, which the parent handles by stopping them. The pool uses
pipes only (no semaphores or shared memory), so it starts no resource tracker.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from sim.formats.problems import InputError, Problem

MAX_ATTEMPTS = 3  # workers a task may take down with it before it is given up
QUEUED_PER_WORKER = 2  # tasks sent to a worker ahead, so it never waits for the next
STOP_SECONDS = 5.0  # a worker asked to stop is killed after this
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_PARENT_CHECK_SECONDS = 0.5


class WorkerPool:
    """`workers` processes that apply `function` to tasks; see the module docstring."""

    def __init__(
        self,
        function: Callable[[Any], Any],
        workers: int,
        lost: Callable[[Any, int | None], Any],
        split: Callable[[Any], list] | None = None,
    ):
        """`split(task)`: the smaller tasks a task that killed a worker is tried again
        as (a batch of runs as single runs, so that only the one that kills is lost)."""
        self.function = function
        self.size = workers
        self.lost = lost
        self.split = split
        methods = multiprocessing.get_all_start_methods()
        self.context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self.workers: dict[multiprocessing.connection.Connection, _Worker] = {}

    def run(self, tasks: list, heartbeat: float) -> Iterator[list]:
        """Yield the results of `tasks` in groups as they finish, in any order; an empty
        group at least every `heartbeat` seconds while runs are under way."""
        queue = deque((task, 0) for task in tasks)
        try:
            while queue or any(w.tasks for w in self.workers.values()):
                self._top_up(queue)
                yield self._collect(queue, heartbeat)
        finally:
            self.stop()

    def _top_up(self, queue: deque) -> None:
        """Start missing workers and hand queued tasks to those with room."""
        while len(self.workers) < min(self.size, len(queue) + self._busy()):
            self._start()
        for worker in self.workers.values():
            while queue and len(worker.tasks) < QUEUED_PER_WORKER:
                worker.tasks.append(queue.popleft())
                try:
                    worker.connection.send(worker.tasks[-1][0])
                except OSError:  # it died: its sentinel will say so, and its tasks requeue
                    break

    def _busy(self) -> int:
        return sum(bool(w.tasks) for w in self.workers.values())

    def _start(self) -> None:
        ours, theirs = self.context.Pipe()
        process = self.context.Process(
            target=_serve, args=(theirs, self.function, os.getpid()), daemon=True
        )
        process.start()
        theirs.close()
        self.workers[ours] = _Worker(process, ours)

    def _collect(self, queue: deque, heartbeat: float) -> list:
        """The results that arrive within `heartbeat` seconds; dead workers are replaced
        (on the next top-up) and their unfinished tasks queued again or given up."""
        results = []
        sentinels = {w.process.sentinel: w for w in self.workers.values()}
        ready = multiprocessing.connection.wait([*self.workers, *sentinels], timeout=heartbeat)
        for item in ready:
            worker = self.workers.get(item) or sentinels[item]
            results += worker.receive()
        for item in ready:
            worker = sentinels.get(item)
            if worker is not None and worker.connection in self.workers:
                results += worker.receive()  # what it sent before it died
                del self.workers[worker.connection]
                results += self._requeue(worker, queue)
        return results

    def _requeue(self, worker: _Worker, queue: deque) -> list:
        """Queue a dead worker's tasks again; those that have killed too many workers are
        given up, and their `lost` results returned."""
        worker.process.join()
        given_up = []
        for task, attempts in worker.tasks:
            if attempts + 1 >= MAX_ATTEMPTS:
                given_up.append(self.lost(task, worker.process.exitcode))
            else:
                pieces = self.split(task) if self.split else [task]
                queue.extendleft((piece, attempts + 1) for piece in reversed(pieces))
        worker.connection.close()
        return given_up

    def stop(self) -> None:
        """Stop every worker: ask, then terminate, then kill."""
        for worker in self.workers.values():
            with contextlib.suppress(OSError):
                worker.connection.send(None)
        deadline = time.monotonic() + STOP_SECONDS
        for worker in self.workers.values():
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.connection.close()
        self.workers.clear()


class _Worker:
    """A worker process, our end of its pipe, and the tasks it holds (with attempts)."""

    def __init__(self, process: multiprocessing.process.BaseProcess, connection):
        self.process = process
        self.connection = connection
        self.tasks: deque[tuple[Any, int]] = deque()

    def receive(self) -> list:
        """The results it has sent so far (each frees the oldest task it holds)."""
        results = []
        with contextlib.suppress(EOFError, OSError):
            while self.tasks and self.connection.poll():
                results.append(self.connection.recv())
                self.tasks.popleft()
        return results


def _serve(connection, function: Callable, parent: int) -> None:
    """A worker's life: die with the parent, apply `function` to each task received,
    send back the result, until told to stop (None) or the pipe closes."""
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C: the parent stops us
    while True:
        try:
            task = connection.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        connection.send(function(task))


def _die_with_parent(parent: int) -> None:
    """Make sure this process ends when process `parent` does."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)  # this process: libc is loaded
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
            if os.getppid() != parent:  # it died before prctl took effect
                os._exit(1)
            return
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_PARENT_CHECK_SECONDS)
    os._exit(1)


CONNECT_SECONDS = 20  # to reach a Dask scheduler before giving up


def dask_client(scheduler: str):
    """A client of the Dask scheduler at `scheduler`, or a clear error if there is none."""
    try:
        from distributed import Client
    except ImportError:
        message = "needs the `distributed` package: pip install 'frontline[cluster]'"
        raise InputError([Problem(scheduler, "--scheduler", message)]) from None
    try:
        return Client(scheduler, timeout=CONNECT_SECONDS)
    except (OSError, ValueError) as error:
        message = f"no Dask scheduler answers at this address ({error}); nothing was written"
        raise InputError([Problem(scheduler, "--scheduler", message)]) from None
