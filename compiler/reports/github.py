"""`--format github`: GitHub Actions workflow commands, so that problems and changes appear as
annotations on the pull request (`::error file=...,line=...::message`).

Problems point at their profile and line; each changed output becomes a notice on its profile
with the semantic diff as its text; warnings about a change (a credential host) are warnings.
Under `--check` an output that is not up to date is an error, since it fails the check. The
summary line closes the log as plain text.
"""

from __future__ import annotations

import os

from ..problems import Problem, failure_line
from ..run.result import RunResult, Status
from . import View
from .terminal import Writer
from .text import change_lines, summary, update_command


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, message: str, **properties: object) -> str:
    given = ",".join(f"{name}={escape_property(str(value))}" for name, value in properties.items() if value)
    return f"::{kind} {given}::{escape_data(message)}" if given else f"::{kind}::{escape_data(message)}"


def problem_command(problem: Problem) -> str:
    """A problem as an annotation on its profile's line: the one spelling of every command."""
    message = f"{problem.key}: {problem.message}" if problem.key else problem.message
    kind = "warning" if problem.warning else "error"
    return command(kind, message, file=problem.file, line=problem.line, col=problem.col, title="syncsecrets")


def write(result: RunResult, view: View, writer: Writer) -> None:
    mode = result.options.diff
    for problem in result.problems:
        writer.out(problem_command(problem))
    count = len(result.errors)
    if count:
        writer.out(failure_line(count, len(result.unrestored)))
        return
    base, check = result.options.out, result.options.check
    kind = "error" if check else "notice"  # under --check, an output out of date fails the check
    suffix = f": not up to date, run {update_command(result.options, bool(result.stale))}" if check else ""
    for outcome in result.outcomes:
        path = os.path.join(base, outcome.output)
        for warning in outcome.warnings:
            writer.out(command("warning", warning, file=outcome.profile, title=f"syncsecrets: {path}"))
        if outcome.status is Status.UNCHANGED:
            continue
        lines = [line.removeprefix("  ") for change in outcome.changes for line in change_lines(change)]
        if outcome.status is Status.NEW or mode == "none":
            lines = [f"{outcome.status} output with {outcome.pairs} {'pair' if outcome.pairs == 1 else 'pairs'}"]
        writer.out(command(kind, "\n".join(lines), file=outcome.profile, title=f"{path} {outcome.status}{suffix}"))
    for stale in result.stale:
        path = os.path.join(base, stale)
        writer.out(command(kind, "no profile writes it; --prune removes it", title=f"{path} stale{suffix}"))
    writer.out(summary(result))
