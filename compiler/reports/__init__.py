"""Reporters: each format turns a run's result into lines, and prints through `terminal.Writer`.

- `text`: the default; diffs and the summary on stdout, problems on stderr; coloured on a terminal.
- `json`: one JSON document on stdout, for programs.
- `github`: GitHub Actions workflow commands, so problems and changes show on the pull request.

`REPORTER_BY_NAME` is the one list of formats, for every command: the command line offers its
names, and `write_report` (compile) and `remote.write_remote_report` (plan, apply, validate,
status) dispatch on it, so a new format is one class here and its modules. Modules are imported
only when chosen. Every value a reporter prints was masked by `body/diff.py` already: reporters
never see a secret.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, NamedTuple

from .terminal import Writer, writer_for_terminal

if TYPE_CHECKING:
    from ..graph.planning import RemoteRun
    from ..run.result import RunResult


class View(NamedTuple):
    """How the person asked to see a run (the diff mode is the run's: `Options.diff`)."""

    quiet: bool = False
    planned: bool = False  # apply's plan, shown before its question


class Reporter:
    """One format. `module` reports a compile run, `remote_module` a remote one; each defines
    `write(result, view, writer)` and is imported only when this format is chosen."""

    module = ""
    remote_module = ""
    shows_plan = False  # apply's plan before its question is for people: a document waits for the result

    def writer(self) -> Writer:
        return Writer()

    def write(self, result: RunResult, view: View, writer: Writer) -> None:
        import_module(f".{self.module}", __package__).write(result, view, writer)

    def write_remote(self, run: RemoteRun, view: View) -> None:
        if view.planned and not self.shows_plan:
            return
        import_module(f".{self.remote_module}", __package__).write(run, view, self.writer())


class TextReporter(Reporter):
    module, remote_module, shows_plan = "text", "remote_text", True

    def writer(self) -> Writer:
        return writer_for_terminal()


class JsonReporter(Reporter):
    module, remote_module = "json_report", "remote_json"


class GithubReporter(Reporter):
    module, remote_module = "github", "remote_github"


REPORTER_BY_NAME: dict[str, type[Reporter]] = {"text": TextReporter, "json": JsonReporter, "github": GithubReporter}


def write_report(result: RunResult, fmt: str, view: View, writer: Writer | None = None) -> None:
    reporter = REPORTER_BY_NAME[fmt]()
    reporter.write(result, view, writer or reporter.writer())
