"""What a compile run was asked to do and what it found: plain data, read by the reporters.

Kept apart from the orchestrator (build.py) so that reporters and commands can read a result
without importing the machinery that made it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple

from .. import exits
from ..problems import exit_for

if TYPE_CHECKING:
    from ..body.diff import Change
    from ..problems import Problem

DEFAULT_PATHS = ("configs",)
DEFAULT_OUT = "build"
# --auth and --keyvault-auth: how to sign in to Graph or Key Vault (graph/auth.py builds each
# one's credential). Here, on compile's path, so the command line's help names them too.
AUTH_MODES = ("default", "cli", "env", "managed-identity", "workload-identity", "github-oidc", "token")


class Status(StrEnum):
    """What a run does to one output file."""

    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    STALE = "stale"  # no profile writes it any more


class Options(NamedTuple):
    paths: tuple[str, ...] = DEFAULT_PATHS
    out: str = DEFAULT_OUT
    check: bool = False
    reveal: bool = False
    prune: bool = False
    environments: tuple[str, ...] = ()
    diff: str = "semantic"  # --diff: semantic, unified or none; the run prepares what the report shows
    allow_unignored: bool = False  # --reveal into a folder git does not ignore
    allow_outside: tuple[str, ...] = ()  # folders outside the repository that profiles may read
    # Set by run(), not by the user: (service principal, environment) -> an output of the manifest
    # that no profile writes any more, which a renamed profile's new output is compared with.
    predecessors: dict | None = None
    auth: str | None = None  # --auth: the credential of Key Vault references under --reveal
    keyvault_auth: str | None = None  # --keyvault-auth: another one for the vaults

    @property
    def unified(self) -> bool:
        return self.diff == "unified"


class Compilation(NamedTuple):
    """One profile compiled for one environment into one output (the remote commands' target is
    graph/targets.Target)."""

    profile: str
    environment: str | None
    output: str  # relative to --out


class Outcome:
    __slots__ = (
        "changes",
        "output",
        "pairs",
        "profile",
        "service_principal_id",
        "staged",
        "status",
        "unified",
        "warnings",
    )

    def __init__(self, output: str, profile: str, status: Status, pairs: int, service_principal_id: str | None = None):
        self.output = output
        self.profile = profile
        self.status = status  # never STALE: a stale output has no outcome
        self.pairs = pairs
        self.service_principal_id = service_principal_id  # where the body goes: [application], merged
        self.changes: list[Change] = []
        self.warnings: list[str] = []
        self.unified = ""
        self.staged = False  # its new bytes wait in the staging folder, to be renamed into place


class RunResult:
    def __init__(self, options: Options, problems: list[Problem] | None = None):
        self.options = options
        self.outcomes: list[Outcome] = []
        self.stale: list[str] = []
        self.environments: tuple[str, ...] = ()  # compiled into their folders (with --env, or found in --out)
        self.problems: list[Problem] = problems or []
        self.unrestored: list[str] = []  # outputs a failed commit changed and could not put back

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if not problem.warning]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.warning]

    def count(self, status: Status) -> int:
        if status is Status.STALE:
            return len(self.stale)
        return sum(1 for outcome in self.outcomes if outcome.status is status)

    @property
    def exit_code(self) -> int:
        if self.errors:
            return exit_for(self.errors)
        pending = self.count(Status.NEW) + self.count(Status.CHANGED) + self.count(Status.STALE)
        return exits.CHANGES if self.options.check and pending else exits.OK
