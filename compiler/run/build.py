"""One `compile` run: find, load, map, render and compare every profile, then write or not.

All or nothing: new outputs are staged as they are compiled (outputs.Stager) and renamed into
place only when every profile and partial of the run checked out; a single error means exit 2
with every problem reported, the staging removed and no output changed; so does a failed
commit (rolled back) or an interruption. What could send a write elsewhere (`--env NAME`,
an --out that holds profiles) is checked before anything is read. The result is plain data
(`RunResult`) that the reporters turn into text, JSON or annotations.

Without --env, a run also compiles each declared environment whose folder is in --out, so
`compile` and `compile --check` cover every output there. Only outputs syncsecrets wrote
(ownership.py) are ever reported stale or pruned.

A profile that the record of the last compile (record.py) shows unchanged is served from it
without being parsed. The others are independent of each other, so large runs are spread over
the machine's cores (`jobs`); results come back in target order, so the output never depends on
how the work was split or what the record served. The compile machinery (tomllib, the layers,
the mapper, the diff) is imported only when some profile has to be compiled: a run that the
record serves whole starts in a fraction of the time.
"""

from __future__ import annotations

import gc
import os

from ..problems import Problem, UserError, unique_sorted
from ..profile.confine import Boundary, boundary
from ..profile.digest import digest
from ..profile.names import ENVIRONMENT_NAME, ENVIRONMENT_RULE
from . import outputs, ownership
from .discover import Source, discover
from .linkguard import linked_folders
from .record import Entry, Partial, Record
from .result import Compilation, Options, Outcome, RunResult, Status

# Below this many profiles, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 400


def run(options: Options, environ=os.environ) -> RunResult:
    result = RunResult(options)
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
    existed = os.path.isdir(options.out)
    # New outputs are staged as they are compiled, unless the run cannot write or already failed.
    owner = os.getpid() if not options.check and not any(not problem.warning for problem in problems) else None
    made = None
    try:
        if owner is not None:
            made = outputs.make_out(options.out, options.reveal)
        return _run(options, environ, result, found, targets, folders, problems, owner, made, existed)
    except BaseException:
        # A failed commit, Ctrl-C or SIGTERM (interrupts.terminable): nothing staged may stay behind,
        # least of all revealed secrets, nor an --out this run made.
        if owner is not None:
            outputs.abandon(options.out, owner, made)
        raise


def _run(options: Options, environ, result: RunResult, found, targets: list[Compilation], folders: tuple[str, ...],
         problems: list[Problem], owner: int | None, made: str | None, existed: bool) -> RunResult:  # fmt: skip
    record = Record.load(options.out) if not options.reveal else None
    options = options._replace(predecessors=_predecessors(record, targets))
    served = _served(record, targets)
    # Compiled profile by profile (each one's environments together, so it is read once), then
    # reported environment by environment, in the order of the targets.
    pending = sorted((t for t in targets if t.output not in served), key=lambda t: (t.profile, t.output))
    compiled, compile_problems, declared = (
        _compile_all(pending, options, environ, owner) if pending else ([], [], set())
    )
    problems += compile_problems + [problem for entry in served.values() for problem in entry.warnings]
    declared |= {name for entry in served.values() for name in entry.environments}
    confined = boundary(options.paths, options.allow_outside)
    partial_problems, partial_environments, partials = read_partials(found.partials, record, confined)
    declared |= partial_environments
    problems += partial_problems + environment_problems(options.environments, declared, found.profiles)
    # A folder in --out that no profile declares as an environment is not one: what was compiled
    # for it is dropped (it is never renamed into place, nor recorded).
    environments = tuple(name for name in folders if name in declared)
    targets = [target for target in targets if target.environment is None or target.environment not in folders
               or target.environment in environments]  # fmt: skip
    served = {output: entry for output, entry in served.items() if entry.environment not in set(folders) - declared}
    result.environments = options.environments or environments
    outcomes = _in_order(targets, compiled, served)
    problems += linked_folders(options.out, [target.output for target in targets])  # only staged so far
    result.problems = unique_sorted(problems)
    if result.errors:
        if owner is not None:
            outputs.abandon(options.out, owner, made)
        return result  # nothing is written, so no output is reported either
    result.outcomes = outcomes

    produced = {outcome.output for outcome in outcomes}
    in_area = _area(options.environments, environments, declared)
    manifest = ownership.load(options.out) if existed else None
    owned = manifest if manifest is not None else _adopted(options, existed)
    if found.any_folder and existed:
        result.stale = sorted(
            path for path in owned - produced if in_area(path) and ownership.removable(options.out, path)
        )
        if manifest is None:
            result.problems = unique_sorted(result.problems + _not_ours(options.out, in_area, owned | produced))
    if options.check:
        return result
    prune = result.stale if options.prune else []
    keep = produced | (set(result.stale) - set(prune))
    keep |= {path for path in owned if not in_area(path)} if found.any_folder else owned
    leftovers = outputs.leftovers(options.out, {os.path.dirname(path) for path in produced | set(prune)} | {""})
    leftovers += outputs.dead_staging(options.out)
    staged = [outcome.output for outcome in outcomes if outcome.staged]
    listed = manifest if manifest is not None else set()
    recorded = (keep - listed, listed - keep)  # what the manifest gains and loses
    if staged or prune or leftovers or any(recorded):
        outputs.commit(options.out, owner, staged, leftovers, prune, options.reveal, recorded)
    else:
        outputs.abandon(options.out, owner, None)  # a staging folder a worker may have made
    if record is not None:
        kept = record.valid_entries(exclude=produced | set(result.stale))
        record.save(kept | served | {outcome.output: outcome.entry for outcome in outcomes if outcome.entry}, partials)
    return result


def _check_environment_names(names: tuple[str, ...]) -> None:
    """`--env NAME` becomes the folder <out>/NAME/: checked before anything is read or written."""
    bad = [name for name in names if not ENVIRONMENT_NAME.match(name)]
    if bad:
        raise UserError([Problem(f"--env {name!r}", f"{ENVIRONMENT_RULE}: give the NAME of an "
                                 "[environments.NAME] table") for name in bad])  # fmt: skip


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
    return tuple(sorted(entry.name for entry in entries
                        if ENVIRONMENT_NAME.match(entry.name) and entry.name not in tops and entry.is_dir()))  # fmt: skip


def _adopted(options: Options, existed: bool) -> set[str]:
    """With no manifest yet (a folder written by an older version), the outputs it recorded."""
    if not existed or options.reveal:
        return set()
    return ownership.adopt(options.out, Record.listed(options.out))


def _not_ours(out: str, in_area, known: set[str]) -> list[Problem]:
    found = ownership.not_ours(out, in_area, known)
    if not found:
        return []
    shown = ", ".join(os.path.join(out, path) for path in found[:3]) + (
        f" and {len(found) - 3} more" if len(found) > 3 else ""
    )
    files = f"{len(found)} .json {'file' if len(found) == 1 else 'files'}"
    return [Problem(out, f"{files} here {'was' if len(found) == 1 else 'were'} not written by syncsecrets ({shown}): "
                    "left alone, never reported stale or pruned", warning=True)]  # fmt: skip


def _in_order(targets: list[Compilation], compiled: list[Outcome], served: dict[str, Entry]) -> list[Outcome]:
    by_output = {outcome.output: outcome for outcome in compiled}
    by_output.update((output, _unchanged(entry, output)) for output, entry in served.items())
    return [by_output[target.output] for target in targets if target.output in by_output]


def _served(record: Record | None, targets: list[Compilation]) -> dict[str, Entry]:
    """The targets whose record shows nothing changed: their outputs are current, unparsed."""
    if record is None or not record.entries:
        return {}
    found = {}
    for target in targets:
        entry = record.lookup(target.output, target.profile, target.environment)
        if entry is not None:
            found[target.output] = entry
    return found


def _predecessors(record: Record | None, targets: list[Compilation]) -> dict:
    """Where each service principal's output was, per environment, for outputs of the record
    that no target writes any more (a renamed profile's old output)."""
    if record is None:
        return {}
    written = {target.output for target in targets}
    found: dict = {}
    for output in sorted(output for output in record.entries if output not in written):  # few: read them
        try:
            entry = Entry(*record.entries[output])
        except TypeError:
            continue  # an entry this build cannot read
        if entry.principal:
            found.setdefault((entry.principal, entry.environment), output)
    return found


def read_partials(
    paths: list[str], record: Record | None, confined: Boundary | None
) -> tuple[list[Problem], set[str], dict[str, Partial]]:
    """The problems and environments of the partials in the folder (read, or from the record);
    `confined`: where the files they name may be."""
    problems: list[Problem] = []
    declared: set[str] = set()
    found: dict[str, Partial] = {}
    unread = []
    for path in paths:
        entry = record.partial(path) if record is not None else None
        if entry is None:
            unread.append(path)
            continue
        problems += entry.warnings
        declared.update(entry.environments)
        found[path] = entry
    if unread:
        from ..profile.loading import Loader

        loader = Loader(confined)
        for path in unread:
            if loader.file(path, path) is not None:
                found[path] = Partial(*loader.facts(path))
        problems += loader.problems
        declared |= loader.declared_environments()
    return problems, declared, found


def _unchanged(entry: Entry, output: str) -> Outcome:
    return Outcome(output, entry.profile, Status.UNCHANGED, entry.pairs, entry.principal)


def _compile_all(targets: list[Compilation], options: Options, environ, owner: int | None):
    jobs = options.jobs or os.cpu_count() or 1
    if jobs < 2 or len(targets) < PARALLEL_THRESHOLD:
        return compile_targets(targets, options, environ, owner)
    from . import parallel  # keeps multiprocessing off the start-up path of small runs

    if options.reveal:
        _read_vault_secrets(targets)
    return parallel.compile_in_workers(compile_targets, targets, options, environ, jobs, owner)


def _read_vault_secrets(targets: list[Compilation]) -> None:
    """Reads every Key Vault secret the targets name, before the workers fork: they inherit the
    values, so each secret is read once per run rather than once per worker. Costs one more
    reading of the profiles, only in revealed parallel runs; a profile that fails to load is
    skipped here and reported by its worker."""
    from ..profile.loading import Loader
    from ..profile.references import prefetch

    loader = Loader()
    found = []
    for target in targets:
        layer = loader.merged(target.profile, target.profile, target.environment)
        if layer is not None:
            found += layer.references()
    prefetch(found)


def compile_targets(
    targets: list[Compilation], options: Options, environ, owner: int | None
) -> tuple[list[Outcome], list[Problem], set[str]]:
    """Compiles `targets` in this process (the unit of work a parallel worker runs), staging the
    new outputs in the staging folder of the run's main process `owner` (None: write nothing)."""
    # Compiling makes millions of small objects and no reference cycles: the cyclic collector's
    # passes over the growing heap cost a tenth of the time and would find nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        stager = outputs.Stager(options.out, owner, options.reveal) if owner is not None else None
        return _compile(targets, options, environ, stager)
    finally:
        if collecting:
            gc.enable()


def _compile(
    targets: list[Compilation], options: Options, environ, stager
) -> tuple[list[Outcome], list[Problem], set[str]]:
    from ..body.mapper import map_checked
    from ..body.render import render
    from ..profile.loading import Loader

    loader = Loader(boundary(options.paths, options.allow_outside))
    found: list[Outcome] = []
    problems: list[Problem] = []
    for index, target in enumerate(targets):
        if index and targets[index - 1].profile != target.profile:
            loader.done(targets[index - 1].profile)  # its last environment is compiled
        layer = loader.merged(target.profile, target.profile, target.environment)
        found_pairs = map_checked(layer, options.reveal, environ, problems) if layer is not None else None
        if found_pairs is None:
            continue
        pairs, mapped = found_pairs
        if not pairs:
            problems.append(Problem(target.profile, "compiles to no pairs: its body sets nothing (whether Graph "
                                    "then keeps or clears the application's secrets is undocumented)", warning=True))  # fmt: skip
        data = render((pair.key, pair.value) for pair in pairs)
        principal = layer.application.get("service_principal_id")
        principal = principal.value if principal else None
        try:
            outcome = _outcome(target, pairs, data, options, principal, stager)
        except UserError as error:
            problems += error.problems
            continue
        if not options.reveal:  # revealed outputs depend on secrets: never recorded
            files, warnings, declared = loader.provenance(target.profile, target.environment)
            warnings += [problem for problem in mapped if problem.warning]
            if not pairs:
                warnings.append(problems[-1])
            outcome.entry = Entry(target.profile, target.environment, files, digest(data), len(pairs), principal,
                                  warnings, declared)  # fmt: skip
        found.append(outcome)
    return found, problems + loader.problems, loader.declared_environments()


def _outcome(target: Compilation, pairs, data: bytes, options: Options, principal: str | None, stager) -> Outcome:
    from ..body.diff import changes, compare, credential_warnings, removal_warnings, unified
    from ..body.render import parse_body

    previous, _mode = outputs.read_previous(os.path.join(options.out, target.output))
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
    previous = outputs.read_previous(os.path.join(options.out, old_output))[0] if old_output else None
    old = parse_body(previous) if previous is not None else None
    if not old:
        return []
    note = f" (compared with {os.path.join(options.out, old_output)}, the last output for this service principal)"
    return [warning + note for warning in credential_warnings(old, pairs)]


def environment_problems(asked: tuple[str, ...], declared: set[str], profiles: list[Source]) -> list[Problem]:
    problems = []
    known = ", ".join(sorted(declared)) or "none"
    for name in asked:
        if name not in declared:
            problems.append(Problem(f"--env {name}", f"no profile or partial declares [environments.{name}] "
                                    f"(declared: {known}): check the spelling"))  # fmt: skip
    clashes = {os.path.join(source.root, source.top_folder): source.top_folder
               for source in profiles if source.top_folder in declared}  # fmt: skip
    for folder, name in sorted(clashes.items()):
        problems.append(Problem(folder + "/", f"this folder of profiles has the name of environment {name!r}, "
                                f"and both would write to <out>/{name}/: rename the folder or the environment"))  # fmt: skip
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
    return [Problem(out, f"--reveal would write secrets where git can commit them: {reason} "
                    "(--allow-unignored-output overrides this check)")]  # fmt: skip
