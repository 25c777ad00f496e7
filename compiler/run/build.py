"""One `compile` run: discover the profiles, compile them, stage the new outputs, commit.

All or nothing: new outputs are staged as they are compiled (outputs.Stager) and renamed into
place only when every profile and partial of the run checked out; a single error means exit 2
with every problem reported, the staging removed and no output changed; so does a failed
commit (rolled back) or an interruption. What could send a write elsewhere (`--env NAME`,
an --out that holds profiles) is checked before anything is read. The result is plain data
(`RunResult`) that the reporters turn into text, JSON or annotations.

Without --env, a run also compiles each declared environment whose folder is in --out, so
`compile` and `compile --check` cover every output there. Only outputs syncsecrets wrote
(ownership.py) are ever reported stale or pruned.

Everything runs in one process, every profile parsed each time: a full compile of 10,000
profiles costs about 2.0x reading and parsing the same files with the standard library alone
(bench/ scenario 1): neither a cache of the last compile nor worker processes pays for itself.
"""

from __future__ import annotations

import os
from typing import NamedTuple

from ..problems import Problem, UserError, unique_sorted
from ..profile.confine import Boundary, boundary
from ..profile.names import ENVIRONMENT_NAME, ENVIRONMENT_RULE
from . import outputs, ownership
from .discover import Discovery, Source, discover
from .linkguard import linked_folders
from .result import Compilation, Options, Outcome, RunResult, Status


class Compiled(NamedTuple):
    """What the compile step found: the outcomes in target order, and the environments."""

    outcomes: list[Outcome]
    declared: set[str]  # by any file read
    environments: tuple[str, ...]  # the folders of --out compiled as environments

    @property
    def produced(self) -> set[str]:
        return {outcome.output for outcome in self.outcomes}


def run(options: Options, environ=os.environ) -> RunResult:
    found, targets, folders, problems = _discover(options)
    existed = os.path.isdir(options.out)
    # New outputs are staged as they are compiled, unless the run cannot write or already failed.
    owner = os.getpid() if not options.check and not any(not problem.warning for problem in problems) else None
    made: list[str] = []
    try:
        if owner is not None:
            made = outputs.make_out(options.out, options.reveal)
        result = RunResult(options)
        compiled = _compile_run(options, environ, found, targets, folders, problems, owner, result)
        if result.errors:
            if owner is not None:
                outputs.abandon(options.out, owner, made)
            return result  # nothing is written, so no output is reported either
        result.outcomes = compiled.outcomes
        in_area = _area(options.environments, compiled.environments, compiled.declared)
        manifest = _stale(options, result, compiled, in_area, found.any_folder, existed)
        if not options.check:
            _commit(options, result, manifest, owner, in_area, found.any_folder, compiled)
        return result
    except BaseException:
        # A failed commit, Ctrl-C or SIGTERM (interrupts.terminable): nothing staged may stay behind,
        # least of all revealed secrets, nor an --out this run made.
        if owner is not None:
            outputs.abandon(options.out, owner, made)
        raise


def _discover(options: Options) -> tuple[Discovery, list[Compilation], tuple[str, ...], list[Problem]]:
    """The profiles and partials, and the targets: each profile for each environment compiled."""
    _check_environment_names(options.environments)
    outputs.check_out_folder(options.out)
    outputs.check_out_apart(options.out, options.paths)
    found = discover(list(options.paths), boundary(options.paths, options.allow_outside))
    folders = _environment_folders(options, found.profiles)
    targets = [
        Compilation(source.path, env, f"{env}/{source.output}" if env else source.output)
        for env in options.environments or (None, *folders)
        for source in found.profiles
    ]
    problems = list(found.problems)
    if options.reveal and not options.check and not options.allow_unignored:
        problems += _unignored_problems(options.out, [target.output for target in targets])
    return found, targets, folders, problems


def _compile_run(
    options: Options,
    environ,
    found: Discovery,
    targets: list[Compilation],
    folders: tuple[str, ...],
    problems: list[Problem],
    owner: int | None,
    result: RunResult,
) -> Compiled:
    """Compiles every target, staging new outputs when `owner` is set; the problems go to `result`."""
    options = options._replace(predecessors=_predecessors(options, targets))
    # Compiled profile by profile (each one's environments together, so it is read once), then
    # reported environment by environment, in the order of the targets.
    pending = sorted(targets, key=lambda t: (t.profile, t.output))
    outcomes, compile_problems, declared = _compile(pending, options, environ, owner)
    problems += compile_problems
    partial_problems, partial_environments = read_partials(
        found.partials, boundary(options.paths, options.allow_outside)
    )
    declared |= partial_environments
    problems += partial_problems + environment_problems(options.environments, declared, found.profiles)
    # A folder in --out that no profile declares as an environment is not one: what was compiled
    # for it is dropped (it is never renamed into place).
    environments = tuple(name for name in folders if name in declared)
    dropped = set(folders) - set(environments)
    targets = [target for target in targets if target.environment not in dropped]
    result.environments = options.environments or environments
    problems += linked_folders(options.out, [target.output for target in targets])  # only staged so far
    result.problems = unique_sorted(problems)
    by_output = {outcome.output: outcome for outcome in outcomes}
    ordered = [by_output[target.output] for target in targets if target.output in by_output]
    return Compiled(ordered, declared, environments)


def _stale(options: Options, result: RunResult, compiled: Compiled, in_area, any_folder: bool, existed: bool):
    """Sets `result.stale`: the outputs syncsecrets wrote that no profile writes any more;
    returns the manifest's outputs (None: no manifest)."""
    manifest = ownership.load(options.out) if existed else None
    if any_folder and existed:
        produced = compiled.produced
        result.stale = sorted(
            path for path in (manifest or set()) - produced if in_area(path) and ownership.removable(options.out, path)
        )
        if manifest is None:
            result.problems = unique_sorted(result.problems + _not_ours(options.out, in_area, produced))
    return manifest


def _commit(options, result: RunResult, manifest, owner: int, in_area, any_folder: bool, compiled: Compiled):
    """Renames the staged outputs into place, prunes, and updates the manifest: all or nothing."""
    produced = compiled.produced
    owned = manifest if manifest is not None else set()
    prune = result.stale if options.prune else []
    keep = produced | (set(result.stale) - set(prune))
    keep |= {path for path in owned if not in_area(path)} if any_folder else owned
    leftovers = outputs.leftovers(options.out, {os.path.dirname(path) for path in produced | set(prune)} | {""})
    leftovers += outputs.dead_staging(options.out)
    staged = [outcome.output for outcome in compiled.outcomes if outcome.staged]
    principals = {o.output: (o.service_principal_id, _environment(o.output, compiled)) for o in compiled.outcomes}
    recorded = (keep - owned, owned - keep, principals)  # what the manifest gains, loses, and knows
    if staged or prune or leftovers or ownership.update(options.out, *recorded) is not None:
        outputs.commit(options.out, owner, staged, leftovers, prune, options.reveal, recorded)
    else:
        outputs.abandon(options.out, owner, [])


def _environment(output: str, compiled: Compiled) -> str | None:
    folder = output.split("/", 1)[0] if "/" in output else None
    return folder if folder in compiled.declared else None


def _check_environment_names(names: tuple[str, ...]) -> None:
    """`--env NAME` becomes the folder <out>/NAME/: checked before anything is read or written."""
    bad = [name for name in names if not ENVIRONMENT_NAME.match(name)]
    if bad:
        raise UserError(
            [
                Problem(f"--env {name!r}", f"{ENVIRONMENT_RULE}: give the NAME of an [environments.NAME] table")
                for name in bad
            ]
        )


def _environment_folders(options: Options, profiles: list[Source]) -> tuple[str, ...]:
    """Without --env, the folders of --out that may hold an environment's outputs: the run
    compiles those environments too, so that `compile` and `compile --check` cover every output
    in --out (a change to [environments.prod] alone cannot leave <out>/prod/ behind). Not under
    --reveal: it resolves the secrets of the environments it is asked for, and no others."""
    if options.environments or options.reveal:
        return ()
    tops = {source.top_folder for source in profiles}
    try:
        entries = list(os.scandir(options.out))
    except OSError:
        return ()
    return tuple(
        sorted(
            entry.name
            for entry in entries
            if ENVIRONMENT_NAME.match(entry.name) and entry.name not in tops and entry.is_dir()
        )
    )


def _not_ours(out: str, in_area, known: set[str]) -> list[Problem]:
    found = ownership.not_ours(out, in_area, known)
    if not found:
        return []
    shown = ", ".join(os.path.join(out, path) for path in found[:3]) + (
        f" and {len(found) - 3} more" if len(found) > 3 else ""
    )
    files = f"{len(found)} .json {'file' if len(found) == 1 else 'files'}"
    return [
        Problem(
            out,
            f"{files} here {'was' if len(found) == 1 else 'were'} not written by syncsecrets ({shown}): "
            "left alone, never reported stale or pruned",
            warning=True,
        )
    ]


def _compile(
    targets: list[Compilation], options: Options, environ, owner: int | None
) -> tuple[list[Outcome], list[Problem], set[str]]:
    """Compiles `targets`, staging the new outputs in the staging folder of `owner` (None: write nothing)."""
    from ..body.mapper import map_checked
    from ..body.render import render
    from ..profile.loading import Loader

    loader = Loader(boundary(options.paths, options.allow_outside))
    stager = outputs.Stager(options.out, owner, options.reveal) if owner is not None else None
    found: list[Outcome] = []
    problems: list[Problem] = []
    for index, target in enumerate(targets):
        if index and targets[index - 1].profile != target.profile:
            loader.done(targets[index - 1].profile)  # its last environment is compiled
        layer = loader.merged(target.profile, target.profile, target.environment)
        pairs = map_checked(layer, options.reveal, environ, problems) if layer is not None else None
        if pairs is None:
            continue
        if not pairs:
            problems.append(
                Problem(
                    target.profile,
                    "compiles to no pairs: its body sets nothing (whether Graph "
                    "then keeps or clears the application's secrets is undocumented)",
                    warning=True,
                )
            )
        data = render((pair.key, pair.value) for pair in pairs)
        principal = layer.application.get("service_principal_id")
        principal = principal.value if principal else None
        try:
            outcome = _outcome(target, pairs, data, options, principal, stager)
        except UserError as error:
            problems += error.problems
            continue
        found.append(outcome)
    return found, problems + loader.problems, loader.declared_environments()


def _outcome(target: Compilation, pairs, data: bytes, options: Options, principal: str | None, stager) -> Outcome:
    from ..body.diff import changes, compare, credential_warnings, removal_warnings, unified
    from ..body.render import parse_body

    previous = outputs.read_previous(os.path.join(options.out, target.output))
    outcome = Outcome(target.output, target.profile, Status.UNCHANGED, len(pairs), principal)
    if previous == data:
        return outcome
    if stager is not None:
        stager.stage(target.output, data)
        outcome.staged = True
    if previous is None and principal is not None:
        outcome.warnings += _predecessor_warnings(target, pairs, options, principal)
    if previous is None and not options.unified:
        outcome.status = Status.NEW  # nothing to compare with, and no host can have changed
        return outcome
    old = parse_body(previous) if previous is not None else []
    if old is None:
        outcome.warnings.append("the previous output is not a secrets body: it is replaced whole")
        old = []
    rows = compare(old, pairs)
    outcome.status = Status.CHANGED if previous is not None else Status.NEW
    outcome.changes = changes(rows) if previous is not None else []
    outcome.warnings += removal_warnings(outcome.changes)
    outcome.warnings += credential_warnings(old, pairs)
    if options.unified:
        outcome.unified = unified(rows, target.output)
    return outcome


def _predecessor_warnings(target: Compilation, pairs, options: Options, principal: str) -> list[str]:
    """A renamed profile's output is new, but its service principal is not: its credential URLs
    are compared with the output last compiled for that principal."""
    from ..body.diff import credential_warnings
    from ..body.render import parse_body

    old_output = (options.predecessors or {}).get((principal, target.environment))
    previous = outputs.read_previous(os.path.join(options.out, old_output)) if old_output else None
    old = parse_body(previous) if previous is not None else None
    if not old:
        return []
    note = f" (compared with {os.path.join(options.out, old_output)}, the last output for this service principal)"
    return [warning + note for warning in credential_warnings(old, pairs)]


def _predecessors(options: Options, targets: list[Compilation]) -> dict:
    """Where each service principal's output was, per environment, for outputs of the manifest
    that no target writes any more (a renamed profile's old output)."""
    written = {target.output for target in targets}
    found: dict = {}
    for output, (principal, environment) in sorted(ownership.principals(options.out).items()):
        if output not in written:
            found.setdefault((principal, environment), output)
    return found


def read_partials(paths: list[str], confined: Boundary | None) -> tuple[list[Problem], set[str]]:
    """The problems and declared environments of the partials in the folder; `confined`: where
    the files they name may be."""
    if not paths:
        return [], set()
    from ..profile.loading import Loader

    loader = Loader(confined)
    for path in paths:
        loader.file(path, path)
    return loader.problems, loader.declared_environments()


def environment_problems(asked: tuple[str, ...], declared: set[str], profiles: list[Source]) -> list[Problem]:
    problems = []
    known = ", ".join(sorted(declared)) or "none"
    for name in asked:
        if name not in declared:
            problems.append(
                Problem(
                    f"--env {name}",
                    f"no profile or partial declares [environments.{name}] (declared: {known}): check the spelling",
                )
            )
    clashes = {
        os.path.join(source.root, source.top_folder): source.top_folder
        for source in profiles
        if source.top_folder in declared
    }
    for folder, name in sorted(clashes.items()):
        problems.append(
            Problem(
                folder + "/",
                f"this folder of profiles has the name of environment {name!r}, "
                f"and both would write to <out>/{name}/: rename the folder or the environment",
            )
        )
    return problems


def _area(environments: tuple[str, ...], folders: tuple[str, ...], declared: set[str]):
    """Which outputs (relative paths) this run answers for, to find the stale ones: with --env,
    those environments' folders; without, <out>/ but the folders of declared environments it
    does not compile."""
    if environments:
        return lambda relative: relative.split("/", 1)[0] in environments and "/" in relative
    return lambda relative: (
        "/" not in relative or relative.split("/", 1)[0] not in declared or relative.split("/", 1)[0] in folders
    )


def _unignored_problems(out: str, written: list[str]) -> list[Problem]:
    from .gitguard import unignored

    reason = unignored(out, written)
    if not reason:
        return []
    return [
        Problem(
            out,
            f"--reveal would write secrets where git can commit them: {reason} "
            "(--allow-unignored-output overrides this check)",
        )
    ]
