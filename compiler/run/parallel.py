"""Spreading a compile over worker processes for large runs.

Workers are forked, so they inherit the environment (for `--reveal`) without it being sent
anywhere. Targets are cut into contiguous chunks and results joined in order, so output and
messages are the same whatever the number of workers.
"""

from __future__ import annotations

import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor

from ..profile import references

_ENVIRON = None  # set before the workers fork, read in them
_COMPILE = None  # likewise: the function that compiles a chunk (build.compile_targets)


def compile_in_workers(compile_targets, targets: list, options, environ, jobs: int, owner: int | None):
    """`compile_targets(targets, options, environ, owner)` run over chunks of `targets` in forked
    workers; passed in (rather than imported) so this module stays below the orchestrator."""
    global _ENVIRON, _COMPILE
    _ENVIRON, _COMPILE = environ, compile_targets
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    size = max(1, -(-len(targets) // (jobs * 4)))  # a few chunks per worker evens out slow ones
    chunks = [targets[start : start + size] for start in range(0, len(targets), size)]
    outcomes, problems, declared = [], [], set()
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_worker_signals) as pool:
        try:
            for found, found_problems, found_declared, revealed in pool.map(
                _work, chunks, [options] * len(chunks), [owner] * len(chunks)
            ):
                outcomes += found
                problems += found_problems
                declared |= found_declared
                references.SECRETS.update(revealed)  # so the main process can scrub them too
        except BaseException:
            _stop(pool)
            raise
    return outcomes, problems, declared


def _worker_signals() -> None:
    # Ctrl-C and a CI timeout's SIGTERM reach the whole process group: the main process alone
    # decides what happens (it stops the workers, then removes what they staged), so a worker
    # dying first never turns an interruption into a broken pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Ends the workers now, not after their current chunk: the run is being abandoned, and
    its staging folder can only be removed once nothing writes into it any more."""
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        worker.kill()
    for worker in workers:
        worker.join()


def _work(targets: list, options, owner: int | None):
    # Each worker stages the outputs it compiles itself: they never travel back to the main
    # process, which keeps its memory flat and spreads the writing over the cores.
    found, problems, declared = _COMPILE(targets, options, _ENVIRON, owner)
    return found, problems, declared, set(references.SECRETS)
