"""How every command ends: the user's mistakes as exit 2, surprises as exit 3, never a leak.

One place turns exceptions into messages and exit codes (as pre-commit's error handler does):
- UserError: its problems, one `file:line:col: key: message` line each, exit 2;
- Ctrl-C: exit 130; SIGTERM (inside `terminable`): exit 143;
- anything else is a bug in syncsecrets: one line naming the exception's type and where it
  was raised, exit 3. Its message is not printed, since it might quote a value; `--debug`
  prints the traceback, with every secret the run has seen blanked out.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import contextmanager

from .problems import UserError

USER_ERROR, INTERNAL_ERROR, INTERRUPTED, TERMINATED = 2, 3, 130, 143


def err(line: str) -> None:
    sys.stderr.write(line + "\n")


def out(line: str) -> None:
    sys.stdout.write(line + "\n")


def guarded(action: Callable[[], int], debug: bool = False) -> int:
    try:
        return action()
    except UserError as error:
        report_user_error(error)
        return USER_ERROR
    except KeyboardInterrupt:
        err("syncsecrets: interrupted")
        return INTERRUPTED
    except Terminated:
        err("syncsecrets: terminated")
        return TERMINATED
    except BrokenPipeError:
        return 1  # the reader went away (`| head`): nothing more to say
    except Exception as error:
        if debug:
            import traceback

            from .references import scrub  # only here: the compile path need not import it first

            err(scrub("".join(traceback.format_exception(error))).rstrip("\n"))
        err(f"syncsecrets: internal error ({type(error).__name__} at {_where(error)}): this is a bug in "
            "syncsecrets; rerun with --debug for the traceback and report it")  # fmt: skip
        return INTERNAL_ERROR


def report_user_error(error: UserError) -> None:
    for problem in error.problems:
        err(str(problem))
    count = len(error.problems)
    err(f"syncsecrets: {count} {'error' if count == 1 else 'errors'}; nothing was written")


def _where(error: BaseException) -> str:
    frame = error.__traceback__
    while frame and frame.tb_next:
        frame = frame.tb_next
    if frame is None:
        return "unknown place"
    code = frame.tb_frame.f_code
    return f"{code.co_filename.rsplit('/', 1)[-1]}:{frame.tb_lineno} in {code.co_name}"


class Terminated(BaseException):
    """SIGTERM, raised where the run is (like KeyboardInterrupt for SIGINT), so that its clean-up
    runs: a run stopped by a CI timeout leaves no staged secret behind."""


@contextmanager
def terminable():
    """While inside, SIGTERM raises Terminated instead of ending the process on the spot."""
    import signal

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
