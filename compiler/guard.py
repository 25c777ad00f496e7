"""How every command ends: the user's mistakes as exit 2, surprises as exit 3, never a leak.

One place turns exceptions into messages and exit codes (as pre-commit's error handler does):
- UserError: its problems, one `file:line:col: key: message` line each, exit 2;
- Ctrl-C: exit 130; SIGTERM (inside `terminable`): exit 143;
- anything else is a bug in syncsecrets: one line naming the exception's type and where it
  was raised, exit 3. Its message is not printed, since it might quote a value; `--debug`
  prints the traceback, with every secret the run has seen blanked out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

# typer below 0.29 vendors click here (pyproject pins it); typer imports it at every start anyway.
from typer._click.exceptions import ClickException, NoArgsIsHelpError
from typer._click.exceptions import UsageError as ClickUsageError

from . import exits
from .problems import UserError, failure_line
from .reports.terminal import PLAIN
from .run.interrupts import Terminated, exit_code


def guarded(action: Callable[[], int], debug: bool = False) -> int:
    try:
        return action()
    except UserError as error:
        report_user_error(error)
        return exits.USER_ERROR
    except (KeyboardInterrupt, Terminated) as stopped:
        PLAIN.err(f"syncsecrets: {'terminated' if isinstance(stopped, Terminated) else 'interrupted'}")
        return exit_code(stopped)
    except BrokenPipeError:
        return exits.PIPE_CLOSED
    except Exception as error:
        if debug:
            import traceback

            from .profile.secrets import scrub  # only here: the compile path need not import it first

            for line in scrub("".join(traceback.format_exception(error))).rstrip("\n").split("\n"):
                PLAIN.err(line)  # line by line: each is escaped, and a newline inside one would be
        PLAIN.err(
            f"syncsecrets: internal error ({type(error).__name__} at {_where(error)}): this is a bug in "
            "syncsecrets; rerun with --debug for the traceback and report it"
        )
        return exits.INTERNAL_ERROR


def report_user_error(error: UserError) -> None:
    for line in [*map(str, error.problems), *error.details]:
        PLAIN.err(line)
    count = len(error.problems)
    PLAIN.err(failure_line(count))


class UsageProblem(ClickException):
    """A usage error (an unknown option, a bad value, a second --env) printed as every other error
    is, by report_user_error: `command: message`, the failure line, exit 2. Not click's usage block."""

    exit_code = exits.USER_ERROR

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message.rstrip("."))  # click ends some of its sentences with one, not all
        self.where = where

    def show(self, file=None) -> None:
        help_command = "syncsecrets" if self.where == "syncsecrets" else f"syncsecrets {self.where}"
        # After click's "Did you mean 'compile'?" a new sentence reads better than "?;".
        joint = " " if self.message.endswith("?") else "; "
        hint = f"`{help_command} --help` shows how to call it"
        report_user_error(UserError.single(self.where, f"{self.message}{joint}{hint}"))


@contextmanager
def usage_errors(command: Callable[[], str | None]) -> Iterator[None]:
    """Turns click's usage errors raised inside into a UsageProblem; `command` names the command
    run when the error does not know it (one raised by the command itself)."""
    try:
        yield
    except (UsageProblem, NoArgsIsHelpError):  # already ours; no arguments at all shows the help
        raise
    except ClickUsageError as error:
        context = error.ctx
        # The root's name is how it was started (`python -m compiler`): it is called by its own.
        where = command() if context is None else context.info_name if context.parent is not None else None
        raise UsageProblem(where or "syncsecrets", error.format_message()) from None


def _where(error: BaseException) -> str:
    import traceback

    frames = traceback.extract_tb(error.__traceback__, limit=-1)
    if not frames:
        return "unknown place"
    return f"{frames[0].filename.rsplit('/', 1)[-1]}:{frames[0].lineno} in {frames[0].name}"
