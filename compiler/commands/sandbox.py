"""`syncsecrets sandbox`: a local, in-memory Graph seeded from the profiles, to try `plan` and
`apply` without a tenant.

The profiles are read as `compile` reads them (discovery, `extends`, layering, values: a bad
profile is exit 2 before anything listens); every service principal a profile names, in its base
or in any environment, gets the state of a new app (compiler/sandbox/seed.py). Then it prints the
three variables that point the remote commands at it, and serves until Ctrl-C or SIGTERM (exit 0).
Nothing is written to disk: the token lives in this process and means nothing elsewhere.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
import threading
from typing import NamedTuple

from .. import exits
from ..body.mapper import map_checked
from ..problems import Problem, UserError, unique_sorted
from ..profile.confine import boundary
from ..profile.loading import Loader
from ..reports.terminal import PLAIN
from ..run.build import read_partials
from ..run.discover import discover
from ..run.interrupts import Terminated, held, terminable
from ..sandbox.seed import DEFAULT_TEMPLATE, Seed

# The tenant of a token when no profile names one: the client checks a token's tenant only
# against a profile's tenant_id, so any well-formed id does.
SANDBOX_TENANT = "5a4db0c5-0000-4000-8000-000000000000"


class Planted(NamedTuple):
    """A service principal the sandbox serves, and where the profiles name it."""

    seed: Seed
    where: str  # "configs/app.toml", or "configs/app.toml [prod]"


def read_seeds(paths: tuple[str, ...], environ=os.environ) -> tuple[list[Planted], list[Problem]]:
    """Every service principal of the profiles (base and each environment, first profile first)
    and the warnings; UserError (exit 2) with every problem if a profile is wrong."""
    confined = boundary(paths)
    found = discover(list(paths), confined)
    problems = list(found.problems)
    loader = Loader(confined)
    layers = [(source.path, None, loader.merged(source.path, source.path, None)) for source in found.profiles]
    partial_problems, partial_environments = read_partials(found.partials, confined)
    for environment in sorted(loader.declared_environments() | partial_environments):
        layers += [
            (source.path, environment, loader.merged(source.path, source.path, environment))
            for source in found.profiles
        ]
    planted: dict[str, Planted] = {}
    for path, environment, layer in layers:
        if layer is None:
            continue
        map_checked(layer, False, environ, problems)  # compile's checks of every value
        application = layer.application
        if "service_principal_id" not in application:
            continue
        job = layer.job  # [job] template_id, field by field as layered
        seed = Seed(
            application["service_principal_id"].value,
            job["template_id"].value if "template_id" in job else DEFAULT_TEMPLATE,
            application["tenant_id"].value if "tenant_id" in application else None,
        )
        planted.setdefault(seed.service_principal_id, Planted(seed, f"{path} [{environment}]" if environment else path))
    problems = unique_sorted(problems + loader.problems + partial_problems)
    if any(not problem.warning for problem in problems):
        raise UserError(problems)
    return list(planted.values()), problems


def tenants_in_order(planted: list[Planted]) -> list[str]:
    """The tenants the profiles name, base profiles' first; the sandbox's own when none does."""
    named = [item.seed.tenant_id for item in planted if item.seed.tenant_id]
    return list(dict.fromkeys(named)) or [SANDBOX_TENANT]


def sandbox(paths: tuple[str, ...], port: int | None, environ=os.environ) -> int:
    planted, warnings = read_seeds(paths, environ)
    for warning in warnings:
        PLAIN.err(str(warning))
    served = None
    try:
        with terminable():
            # Started in the background by a script, a process inherits SIGINT ignored; the
            # sandbox is stopped with it all the same (`kill -INT`), as by Ctrl-C.
            signal.signal(signal.SIGINT, signal.default_int_handler)
            # The server's threads inherit the held signals, so Ctrl-C and SIGTERM reach this
            # thread only, and after the announce: a reader that stops the sandbox as soon as
            # it has the exports still gets every line.
            with held():
                served = _serve(planted, port)
                _announce(served, planted)
            threading.Event().wait()  # until Ctrl-C (KeyboardInterrupt) or SIGTERM (Terminated)
    except (KeyboardInterrupt, Terminated):
        PLAIN.err("syncsecrets sandbox: stopped; everything it held is gone")
    finally:
        if served is not None:
            served.stop()
    return exits.OK


def _serve(planted: list[Planted], port: int | None):
    from ..sandbox.local import Sandbox

    try:
        return Sandbox([item.seed for item in planted], port or 0)
    except OSError as error:
        raise UserError.single("sandbox", _listen_problem(port, error)) from None


def _listen_problem(port: int | None, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return (
            f"--port {port}: 127.0.0.1:{port} is in use by another program (another sandbox?): stop it, "
            "choose another port, or leave --port out for a free one"
        )
    return (
        f"cannot listen on 127.0.0.1:{port or 'any port'} ({error.strerror or error}): choose another port "
        "with --port N (1024 or above), or leave --port out for a free one"
    )


def _announce(served, planted: list[Planted]) -> None:
    """The three export lines on stdout (one token per tenant the profiles name: the first
    tenant's exported, the others' as comments to swap in), what is served on stderr."""
    tenants = tenants_in_order(planted)
    lines = [
        f"export SYNCSECRETS_GRAPH_URL={served.url}",
        "export SYNCSECRETS_AUTH=token",
        f"export SYNCSECRETS_ACCESS_TOKEN={served.token(tenants[0])}",
    ]
    for tenant in tenants[1:]:
        whose = ", ".join(item.where for item in planted if item.seed.tenant_id == tenant)
        lines.append(f"# for tenant {tenant} ({whose}): export SYNCSECRETS_ACCESS_TOKEN={served.token(tenant)}")
    for line in lines:
        PLAIN.out(line)
    sys.stdout.flush()  # a pipe reads them now, not when the sandbox stops
    for item in planted:
        seed = item.seed
        tenant = f", tenant {seed.tenant_id}" if seed.tenant_id else ""
        PLAIN.err(
            f"sandbox: service principal {seed.service_principal_id} ({item.where}): no secrets, "
            f"a job of template {seed.template_id!r}, not started{tenant}"
        )
    if not planted:
        PLAIN.err(
            "sandbox: no profile names a service_principal_id, so there is nothing to plan against: "
            "set one in [application] and restart the sandbox"
        )
    PLAIN.err(
        f"sandbox: serving a local Graph at {served.url} until Ctrl-C; export the lines above in the shell "
        "that runs plan and apply"
    )
    sys.stderr.flush()
