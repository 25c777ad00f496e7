"""What `plan` and `apply` share: reading the targets, signing in, reading the tenants.

The order is fixed so that nothing goes out before everything local is known good: profiles
(exit 2), then the connection options (exit 2), then the token and its tenant (exit 4, before
any request to Graph or to a Key Vault), then the references (Key Vault), then the GETs.
"""

from __future__ import annotations

import os
from typing import NamedTuple

from ..problems import UserError
from ..run.result import DEFAULT_PATHS


class RemoteOptions(NamedTuple):
    paths: tuple[str, ...] = DEFAULT_PATHS
    environment: str | None = None
    cloud: str = "global"
    graph_url: str | None = None
    api: str = "v1.0"
    auth: str | None = None  # None: SYNCSECRETS_AUTH, else default
    keyvault_auth: str | None = None  # how to sign in to Key Vault; None: as --auth
    jobs: int = 4
    fmt: str = "text"
    quiet: bool = False
    allow_outside: tuple[str, ...] = ()  # --allow-outside: folders outside the repository profiles may read
    default_paths: bool = False  # no PATH on the command line: `paths` is the default (apply --plan: the plan's)


class Session(NamedTuple):
    client: object  # graph.client.GraphClient
    tenant: str | None  # the token's tenant (tid), when readable
    connection: object  # graph.connection.Connection: the Graph root and API it talks to


def prepare(options: RemoteOptions, environ=os.environ, reveal: bool = True):
    """The profiles read (every local problem found: exit 2), their targets unrevealed, the
    warnings and the connection. Nothing is sent anywhere: references are resolved only after
    the tenant guard (`reveal_targets`), since reading a Key Vault secret is a request too."""
    from ..graph.connection import connect
    from ..graph.targets import Profiles
    from ..keyvault.session import configure

    connection = connect(options.cloud, options.graph_url, options.api, environ)
    mode = auth_mode(options, environ)
    if reveal:
        configure(mode, options.keyvault_auth, environ)
    profiles = Profiles(options.paths, options.environment, options.allow_outside)
    targets, warnings = profiles.targets(environ, reveal=False)
    return profiles, targets, warnings, connection, mode


BETA_DEPRECATION = (
    "Microsoft marks the synchronization secrets API deprecated in beta (on 2026-02-06; removal on 2027-07-06, "
    "replaced by connectivity parameters and synchronization job settings): use --api v1.0 (see docs/graph.md)"
)


def api_warnings(options: RemoteOptions) -> list:
    """Once per run: what the chosen API version means for the requests syncsecrets sends."""
    from ..problems import Problem

    return [Problem("--api beta", BETA_DEPRECATION, warning=True)] if options.api == "beta" else []


def auth_mode(options: RemoteOptions, environ=os.environ) -> str:
    """--auth, else SYNCSECRETS_AUTH, else default; UserError if it names no mode."""
    from ..graph.auth import AUTH_VARIABLE, check_mode

    mode = options.auth or environ.get(AUTH_VARIABLE) or "default"
    check_mode(mode, "--auth" if options.auth else AUTH_VARIABLE)
    return mode


def open_session(options: RemoteOptions, connection, mode: str, targets, environ=os.environ) -> Session:
    """A client with a token whose tenant matches every target's tenant_id; AuthError if not."""
    from ..graph.auth import AuthError, token_source, token_tenant
    from ..graph.client import GraphClient

    tokens = token_source(mode, connection, environ)
    tenant = token_tenant(tokens.get())
    wanted = sorted({target.tenant_id for target in targets if target.tenant_id})
    if wanted and tenant is None:
        raise AuthError(
            "the access token does not say which tenant it is for (no readable tid claim), and the "
            "profiles set tenant_id: nothing was sent"
        )
    for target in targets:
        if target.tenant_id and target.tenant_id != tenant:
            raise AuthError(
                f"the credential is for tenant {tenant}, but {target.profile} sets tenant_id "
                f"{target.tenant_id}: sign in to that tenant; nothing was sent"
            )
    client = GraphClient(connection, tokens, jobs=options.jobs, environ=environ)
    return Session(client, tenant, connection)


class Stopped(Exception):
    """A remote run that ended before sending anything, already reported: `code` is its exit code."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


def connect(run, options: RemoteOptions, environ=os.environ, reveal: bool = True, guard=None):
    """The targets and a signed-in session; or, when any step fails, the run reported as one
    that sent nothing (refused input, exit 2; a sign-in or a vault that refused, exit 4) and
    Stopped raised with its exit code. `guard(session)`: a command's own check of the token's
    tenant (UserError to stop).

    The tenant guards come before the references are resolved: a profile whose tenant_id is
    not the token's gets no request at all, to Graph or to a Key Vault."""
    from ..graph.auth import AuthError

    session = None
    try:
        profiles, targets, run.warnings, connection, mode = prepare(options, environ, reveal)
        run.environment, run.outside = options.environment, profiles.outside
        session = open_session(options, connection, mode, targets, environ)
        if guard is not None:
            guard(session)
        if reveal:
            targets, run.warnings = profiles.targets(environ, reveal=True)
        run.warnings = [*run.warnings, *api_warnings(options)]
        return targets, session
    except (UserError, AuthError) as error:
        if session is not None:
            session.client.close()
        if isinstance(error, UserError):
            raise Stopped(finish(run, options, problems=error.problems)) from None
        raise Stopped(finish(run, options, error=error)) from None


def read_tenants(session: Session, targets, options: RemoteOptions, label: str):
    """Every target planned against its tenant, with a progress bar on a terminal. SIGTERM (a
    CI time-out), like Ctrl-C, stops it with a report (exit 143; every remote run does so)."""
    from ..graph.planning import plan_all
    from ..reports.progress import progress
    from ..run.interrupts import terminable

    with terminable(), progress(len(targets), label) as advance:
        return plan_all(session.client, targets, options.jobs, lambda _target, _plan: advance())


def each_target(command: str, options: RemoteOptions, environ, label: str, work, reveal: bool = True) -> int:
    """A command that does one thing to every target (validate, status): connect, then
    `work(client, run, done)` under the signal guard with a progress bar (`done(plan, result)`
    after each target; `work` sets run.interrupted and what else it finds), then the report."""
    from ..graph.planning import RemoteRun, TargetPlan
    from ..reports.progress import progress
    from ..reports.remote import write_remote_report
    from ..run.interrupts import terminable

    run = RemoteRun(command, [], [])
    try:
        targets, session = connect(run, options, environ, reveal=reveal)
    except Stopped as stopped:
        return stopped.code
    run.plans = [TargetPlan(target) for target in targets]
    try:
        with terminable(), progress(len(targets), label) as advance:
            work(session.client, run, lambda _plan, _result: advance())
    finally:
        session.client.close()
    write_remote_report(run, options.fmt, options.quiet)
    return run.exit_code


def finish(run, options: RemoteOptions, *, problems=None, error: Exception | None = None) -> int:
    """Reports a run that stops before sending anything: refused input (exit 2, `problems`:
    the UserError's, warnings kept apart) or a sign-in that failed (exit 4, `error`)."""
    from ..reports.remote import write_remote_report

    if problems is not None:
        run.warnings = [problem for problem in problems if problem.warning]
        run.problems = [problem for problem in problems if not problem.warning]
    if error is not None:
        run.error = str(error)
    write_remote_report(run, options.fmt, options.quiet)
    return run.exit_code
