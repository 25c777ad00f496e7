"""The targets of a remote command: each profile (for one environment) read exactly as
`compile` reads it, with its references resolved in memory.

Discovery, `extends`, layering, values, references and templates are compile's own code
(discover, profiles.Loader, mapper.map_checked); nothing is re-implemented here. What the remote
commands add: every target needs a service principal, under `--env NAME` one the environment
names itself (`in_environment`), and its secrets are resolved (a missing variable is exit 2, as
under `compile --reveal`) but never written anywhere, and only once the token's tenant is known
to be right: `Profiles` is read first, its targets mapped unrevealed, then revealed.
"""

from __future__ import annotations

import json
from typing import NamedTuple

from ..body.mapper import OutPair, map_checked
from ..body.render import render
from ..catalog.templates import find_template
from ..problems import Problem, UserError, unique_sorted
from ..profile.confine import boundary
from ..profile.digest import digest
from ..profile.job import JobSpec, job_spec
from ..profile.loading import Loader
from ..profile.references import placeholder
from ..run.build import environment_problems, read_partials
from ..run.discover import discover
from .endpoints import unsendable


class Target(NamedTuple):
    profile: str  # the profile's path, as the PATH argument spelled it
    environment: str | None
    service_principal_id: str
    tenant_id: str | None
    keep: tuple[str, ...]  # Graph names
    job_id: str | None
    pairs: list[OutPair]  # revealed values, canonical order; a value from a reference has its label
    digest: str  # of the unrevealed body and the keep list: what the profile says, no secret
    job: JobSpec | None = None  # [job]: the synchronization job as code; None: not managed
    mappings: dict = {}  # noqa: RUF012 (never changed) [mappings.*]: profile/mappings.Entries

    @property
    def name(self) -> str:
        return f"{self.profile} [{self.environment}]" if self.environment else self.profile


class Profiles:
    """The profiles of a remote run, read and merged for its environment, nothing resolved yet:
    what can be known without a request. `targets` then maps them, unrevealed (to check every
    profile before signing in) or revealed (after the tenant guard: Key Vault is a request)."""

    def __init__(self, paths: tuple[str, ...], environment: str | None, allowed: tuple[str, ...] = ()) -> None:
        confined = boundary(paths, allowed)  # as compile: the files profiles name stay in the repository
        found = discover(list(paths), confined)
        problems = list(found.problems)
        loader = Loader(confined)
        self.environment = environment
        self.layers: list[tuple[str, object]] = []  # (profile, merged layer) of each target
        self.outside: list[str] = []  # profiles that do not declare the environment: not targets
        for source in found.profiles:
            layer = loader.merged(source.path, source.path, environment)
            if layer is None:
                continue
            member = in_environment(source.path, loader.file(source.path, source.path), layer, environment)
            if isinstance(member, Problem):
                problems.append(member)
            elif member:
                self.layers.append((source.path, layer))
            else:
                self.outside.append(source.path)
        partial_problems, partial_environments = read_partials(found.partials, confined)
        declared = loader.declared_environments() | partial_environments
        problems += loader.problems + partial_problems
        problems += environment_problems((environment,) if environment else (), declared, found.profiles)
        self.problems = problems

    def targets(self, environ, reveal: bool = True) -> tuple[list[Target], list[Problem]]:
        """Every target and the warnings; UserError (exit 2) with every problem if any is wrong.
        Without `reveal` references stay placeholders: no secret is read, no vault asked."""
        problems = list(self.problems)
        targets = []
        for path, layer in self.layers:
            pairs = map_checked(layer, reveal, environ, problems)
            if pairs is None:
                continue
            target = _target(path, self.environment, layer, pairs, problems, reveal)
            if target is not None:
                targets.append(target)
        problems = unique_sorted(problems + _shared_principals(targets))
        if any(not problem.warning for problem in problems):
            raise UserError(problems)
        return targets, problems


def in_environment(path: str, own, layer, environment: str | None) -> bool | Problem:
    """Whether a profile is a target under `--env environment`: only when the environment names
    its service principal (an `[environments.NAME.application]` table of the profile or of a file
    it extends wins the merge), never through the base's, which is another environment's (often
    production's). A profile that declares the environment but leaves the service principal to a
    base table is a Problem; one that does not declare it is not a target (False)."""
    if environment is None:
        return True
    principal = layer.application.get("service_principal_id")
    if principal is not None and principal.keypath[:2] == ("environments", environment):
        return True
    if own is None or environment not in own.environments:
        return False
    where = ""
    if principal is not None:
        at = principal.problem("")
        place = at.file if at.line is None else f"{at.file}:{at.line}:{at.col or 1}"
        where = f" (the one at {place} is for [{'.'.join(principal.keypath[:-1])}])"
    return own.doc.problem(
        ("environments", environment),
        f"declares environment {environment} but not its "
        f"service principal{where}: set service_principal_id in [environments.{environment}."
        f"application] (here or in a file this profile extends), so that --env {environment} "
        "cannot reach another environment's service principal",
    )


def _template_keep(application, pairs: list[OutPair]) -> tuple[str, ...]:
    """A profile without `keep` keeps what its template's provisioning service stores itself (the
    OAuth 2 tokens the portal's Authorize button saves), except keys the profile sets: applying
    it must not log the application out. An explicit `keep` (even `keep = []`) replaces this."""
    if "template" not in application:
        return ()
    template = find_template(application["template"].value)
    sent = {pair.key for pair in pairs}
    return tuple(key.graph for key in template.keep if key.graph not in sent)


def _shared_principals(targets: list[Target]) -> list[Problem]:
    """Two profiles sending to one service principal would overwrite each other, PUT after PUT."""
    owners: dict[str, str] = {}
    problems = []
    for target in targets:
        other = owners.setdefault(target.service_principal_id, target.profile)
        if other != target.profile:
            problems.append(
                Problem(
                    target.profile,
                    f"sends to service principal {target.service_principal_id} like "
                    f"{other}: each service principal takes one profile (share settings with extends)",
                )
            )
    return problems


def _target(
    path: str, environment: str | None, layer, pairs: list[OutPair], problems: list, reveal: bool
) -> Target | None:
    application = layer.application
    principal = application.get("service_principal_id")
    if principal is None:
        problems.append(
            Problem(
                path,
                "has no service_principal_id: set it in [application] (plan and apply need to "
                "know where the secrets go)",
            )
        )
        return None
    for pair in pairs:
        # "*" (a GET's mask) or a placeholder, written or in a variable; unrevealed, a reference's
        # value is its own placeholder, and is not sent.
        message = unsendable(pair.value) if reveal or pair.label is None else None
        if message:
            entry = layer.pairs.get(pair.key) or layer.raw.get(pair.key)
            problems.append(entry.problem(message) if entry else Problem(path, message, pair.key))
    if not pairs:
        problems.append(
            Problem(path, "compiles to no pairs: apply would clear every secret of the application", warning=True)
        )
    keep = application["keep"].value if "keep" in application else _template_keep(application, pairs)
    unrevealed = render((pair.key, placeholder(pair.label) if pair.label else pair.value) for pair in pairs)
    job = job_spec(layer.job)[0] if layer.job else None  # its problems were map_layer's
    stated = f"\njob:{job.template_id},{job.state}".encode() if job else b""  # a saved plan goes stale with it
    if layer.mappings:  # a saved plan is stale when the mappings changed too
        from ..profile.mappings import overlay

        unrevealed += b"\nmappings:" + json.dumps(overlay(layer.mappings), sort_keys=True).encode()
    return Target(
        profile=path,
        environment=environment,
        service_principal_id=principal.value,
        tenant_id=application["tenant_id"].value if "tenant_id" in application else None,
        keep=tuple(keep),
        job_id=application["job_id"].value if "job_id" in application else None,
        pairs=pairs,
        digest=digest(unrevealed + b"\nkeep:" + ",".join(keep).encode() + stated),
        job=job,
        mappings=layer.mappings,
    )
