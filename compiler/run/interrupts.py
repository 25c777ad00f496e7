"""Ctrl-C and SIGTERM during a run: the run cleans up after itself instead of dying mid-way.

SIGINT already raises KeyboardInterrupt; inside `terminable`, SIGTERM (what a CI job's timeout
or `kill` sends) raises Terminated the same way, so that the run's clean-up (its staging folder,
which may hold revealed secrets, and an --out it created) runs for both. `held` defers both
signals over the few steps that must not be cut in half (the commit, the clean-up itself).
"""

from __future__ import annotations

import signal
from contextlib import contextmanager

from .. import exits

_HELD = {signal.SIGINT, signal.SIGTERM}


class Terminated(BaseException):
    """SIGTERM, raised where the run is, like KeyboardInterrupt for SIGINT."""


def exit_code(stopped: BaseException | bool) -> int:
    """The exit code of a run stopped by a signal: SIGTERM's, else Ctrl-C's."""
    return exits.TERMINATED if isinstance(stopped, Terminated) else exits.INTERRUPTED


@contextmanager
def terminable():
    """While inside, SIGTERM raises Terminated instead of ending the process on the spot."""

    def terminated(signum, frame):
        raise Terminated

    try:
        previous = signal.signal(signal.SIGTERM, terminated)
    except ValueError:  # not the main thread: signals cannot be handled here
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def held():
    """Ctrl-C or SIGTERM arriving inside takes effect once the block is done."""
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    except (AttributeError, ValueError, OSError):  # not POSIX, or not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
