"""Many targets at once: at most `jobs` in flight, results in the targets' order.

Ctrl-C (KeyboardInterrupt in the main thread), or SIGTERM under run.interrupts.terminable,
sets `stop`: work not yet started is skipped (its result stays None), work in flight finishes
its current request (retry waits end at once), and the run reports what was done. A second
signal stops waiting for it.
A bug in `work` (any exception it does not turn into a result) stops the others and is raised.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

from ..run.interrupts import Terminated

Item = TypeVar("Item")
Result = TypeVar("Result")


def run_all(
    items: Sequence[Item],
    work: Callable[[Item], Result],
    jobs: int,
    stop: threading.Event,
    done: Callable[[Item, Result], None] | None = None,
) -> tuple[list[Result | None], BaseException | None]:
    """The results of `work` over `items` (None for items never started) and the signal that
    interrupted the run (KeyboardInterrupt or Terminated), if one did."""
    results: list[Result | None] = [None] * len(items)

    def unless_stopped(index: int) -> Result | None:
        if stop.is_set():
            return None
        return work(items[index])

    executor = ThreadPoolExecutor(max_workers=max(1, min(jobs, len(items) or 1)), thread_name_prefix="syncsecrets")
    futures: dict[Future, int] = {}
    pending: set[Future] = set()
    try:
        # Submitting inside the guard: a signal while the queue fills is reported like any other.
        for index in range(len(items)):
            future = executor.submit(unless_stopped, index)
            futures[future] = index
            pending.add(future)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                _collect(future, futures[future], items, results, done, stop)
    except (KeyboardInterrupt, Terminated) as stopped:
        stop.set()
        try:
            for future in pending:
                if not future.cancel():
                    future.exception()  # let work in flight finish: its result is reported
                    _collect(future, futures[future], items, results, done, stop)
        except (KeyboardInterrupt, Terminated):
            pass  # asked twice: report what is known now
        executor.shutdown(wait=False, cancel_futures=True)
        return results, stopped
    except BaseException:
        stop.set()
        executor.shutdown(wait=True, cancel_futures=True)
        raise
    executor.shutdown(wait=True)
    return results, None


def _collect(future: Future, index: int, items, results: list, done, stop: threading.Event) -> None:
    if future.cancelled():
        return
    error = future.exception()
    if error is not None:
        stop.set()
        raise error
    results[index] = future.result()
    if done is not None and results[index] is not None:
        done(items[index], results[index])
