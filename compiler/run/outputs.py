"""The output folder: reading previous outputs and writing safely.

Safety rules, each for a reason:
- New outputs are first written into the run's own staging folder inside --out
  (`.syncsecrets-staging-<pid>`, mode 0700), by whichever process compiled them, and renamed
  over their targets only once every profile of the run is known to be valid: a run that fails
  (a bad profile, a full disk), is interrupted (Ctrl-C, SIGTERM) or is refused replaces nothing,
  and removes its staging folder and the --out it made.
- The commit is all or nothing: an output it replaces or prunes keeps its old bytes in a hard
  link beside it until every rename is done; a rename that fails (a read-only folder, a folder
  on another file system) puts back what was done. A run killed at any moment (SIGKILL) leaves
  each output with either its old bytes or its new bytes (a rename is atomic).
- Revealed files are created with mode 0600, and a revealed --out the run creates with mode
  0700, never widened later: there is no moment at which another user could read them.
- The renames happen under an exclusive lock on the output folder itself (flock on its
  descriptor, so no lock file lands among the outputs): two runs into one folder take turns.
  What a killed run left (its staging folder, whose process is gone, and the old bytes it kept)
  is removed by the next.
- --out may not be, or contain, a folder of profiles.
Which outputs are the tool's own, to be reported stale or pruned, is ownership.py's job.
"""

from __future__ import annotations

import errno
import os
import stat
from contextlib import contextmanager, suppress

from ..problems import Problem, UserError
from ..profile.confine import within
from ..profile.source import read_all
from .interrupts import held

TEMP_MARK = ".syncsecrets-tmp"


def check_out_folder(out: str) -> None:
    """UserError unless `out` is a folder or could become one."""
    probe = out
    while probe and not os.path.exists(probe):
        probe = os.path.dirname(probe)
    if probe and not os.path.isdir(probe):
        what = "is a file" if probe == out else f"is inside {probe}, which is a file"
        raise UserError.single(out, f"--out {what}: give a folder for the outputs")


def read_previous(path: str) -> bytes | None:
    """The previous output's bytes (None if there is none)."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            return read_all(descriptor, os.fstat(descriptor).st_size)
        finally:
            os.close(descriptor)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise UserError.single(path, "is a folder where an output should be written: remove or rename it") from None
    except OSError as error:
        raise UserError.single(path, f"the previous output cannot be read ({error.strerror})") from None


def leftovers(out: str, folders: set[str]) -> list[str]:
    """Temporary files a killed run left in these folders (relative to `out`; "" is `out`)."""
    found = []
    for relative in sorted(folders):
        folder = os.path.join(out, relative)
        with suppress(OSError):
            found += [
                entry.path
                for entry in os.scandir(folder)
                if entry.name.startswith(".") and entry.name.endswith(TEMP_MARK)
            ]
    return found


def check_out_apart(out: str, paths: tuple[str, ...]) -> None:
    """UserError if --out is a folder of profiles or contains one: outputs and profiles would
    mix, and every file there would be at the mercy of stale detection."""
    root = os.path.realpath(out)
    for path in paths:
        if not os.path.exists(path):
            continue  # discovery reports it
        folder = os.path.realpath(path if os.path.isdir(path) else os.path.dirname(path) or ".")
        if within(folder, root):
            raise UserError.single(
                out,
                f"--out holds the profiles of {path}: give the outputs a folder of "
                "their own, outside the profiles (such as build)",
            )


def make_out(out: str, private: bool) -> list[str]:
    """Creates --out if it does not exist (0700 for revealed outputs, so that not even their names
    show to other users); returns the folders it created, innermost first, for abandon()."""
    missing = []
    probe = os.path.abspath(out)
    while not os.path.exists(probe):
        missing.append(probe)
        probe = os.path.dirname(probe)
    made: list[str] = []  # innermost first, as abandon() removes them
    try:
        for folder in reversed(missing):
            try:
                os.mkdir(folder, 0o700 if private and folder == missing[0] else 0o777)
            except FileExistsError:
                if not os.path.isdir(folder):
                    raise
                continue  # another run made it at the same moment: not this run's to remove
            made.insert(0, folder)
    except OSError as error:
        _remove_folders(made)
        raise UserError.single(out, f"cannot be created ({error.strerror}): check --out and its permissions") from None
    return made


STAGING_PREFIX = ".syncsecrets-staging-"


def _staging(out: str, owner: int) -> str:
    return os.path.join(out, f"{STAGING_PREFIX}{owner}")


class Stager:
    """Writes a run's new outputs into its staging folder; nothing shows in --out until commit()."""

    def __init__(self, out: str, owner: int, private: bool):
        self.root = _staging(out, owner)
        self.mode = 0o600 if private else 0o666
        self._made: set[str] = set()

    def stage(self, relative: str, data: bytes) -> None:
        path = os.path.join(self.root, relative)
        folder = os.path.dirname(path)
        try:
            if folder not in self._made:
                os.makedirs(folder, mode=0o700, exist_ok=True)
                self._made.add(folder)
            _write_new(path, data, self.mode)
        except OSError as error:
            where = os.path.join(os.path.dirname(self.root), relative)
            raise UserError.single(
                where, f"cannot write ({error.strerror}): check --out, its space and permissions"
            ) from None


class CommitError(UserError):
    """The commit failed and was rolled back; `unrestored` names any output that could not be."""

    def __init__(self, problems, unrestored: list[str]):
        super().__init__(problems)
        self.unrestored = unrestored


def commit(
    out: str,
    owner: int,
    staged: list[str],
    leftovers: list[str],
    prune: list[str],
    private: bool = False,
    owned: tuple[set[str], set[str]] | None = None,
) -> None:
    """Renames the staged outputs over their targets, removes `prune` and records the outputs
    `owned` added and removed in the manifest (ownership.py), under the folder's lock: all of it,
    or, if any step fails, none of it (each replaced or removed file keeps its old bytes in a
    hard link beside it until the end, and is put back from there). Signals wait until the
    commit is done or undone."""
    from . import ownership

    root = _staging(out, owner)
    steps = [(relative, os.path.join(root, relative)) for relative in staged]
    steps += [(relative, None) for relative in prune]
    undo = _Undo(out)
    try:
        with _locked(out), held():
            if owned is not None:
                # Read again under the lock: another run may have recorded its outputs meanwhile.
                listing = ownership.update(out, *owned)
                if listing is not None:
                    os.makedirs(root, mode=0o700, exist_ok=True)
                    _write_new(os.path.join(root, ownership.MANIFEST), listing, 0o600 if private else 0o666)
                    steps.append((ownership.MANIFEST, os.path.join(root, ownership.MANIFEST)))
            try:
                for path in leftovers:
                    _remove_any(path)
                for relative, _ in steps:  # first what can fail before anything changes: folders, backups
                    undo.prepare(relative, 0o700 if private else 0o777)
                for relative, source in steps:
                    undo.apply(relative, source)
            except BaseException:
                undo.unrestored = undo.roll_back()
                raise
            undo.finish()
    except OSError as error:
        where = str(error.filename2 or error.filename or out)  # a rename's target, not its staged source
        if error.errno == errno.EXDEV:
            message = (
                "is on another file system than --out (through a symbolic link?): each output is renamed "
                "into place from --out, so its folders must be on the same file system"
            )
        else:
            message = f"cannot write ({error.strerror}): check --out and its permissions"
        problems = [Problem(where, message)]
        problems += [
            Problem(
                os.path.join(out, relative),
                "was changed and could not be put back: check it"
                + (f" (its previous bytes are in {undo.backups[relative]})" if undo.backups[relative] else ""),
            )
            for relative in undo.unrestored
        ]
        raise CommitError(problems, undo.unrestored) from None
    for relative in prune:
        _remove_empty_folders(out, os.path.dirname(relative))
    _remove_any(root)


class _Undo:
    """What commit() changed so far, and how to put it back."""

    def __init__(self, out: str):
        self.out = out
        self.backups: dict[str, str | None] = {}  # output -> hard link to its old bytes (None: it was new)
        self.applied: list[str] = []
        self.folders: list[str] = []  # made by this commit, outermost first
        self.unrestored: list[str] = []

    def prepare(self, relative: str, mode: int) -> None:
        target = os.path.join(self.out, relative)
        missing, folder = [], os.path.dirname(target)
        while not os.path.isdir(folder):
            missing.append(folder)
            folder = os.path.dirname(folder)
        for folder in reversed(missing):
            os.mkdir(folder, mode)
            self.folders.append(folder)
        backup = None
        if os.path.lexists(target):
            backup = _beside(target)
            _remove(backup)
            _keep_old(target, backup)
        self.backups[relative] = backup

    def apply(self, relative: str, source: str | None) -> None:
        target = os.path.join(self.out, relative)
        if source is None:
            os.unlink(target)
        else:
            os.replace(source, target)
        self.applied.append(relative)  # a rename or an unlink is done whole, or not at all

    def roll_back(self) -> list[str]:
        unrestored = []
        for relative in reversed(self.applied):
            target, backup = os.path.join(self.out, relative), self.backups[relative]
            try:
                if backup is None:
                    os.unlink(target)
                else:
                    os.replace(backup, target)
            except OSError:
                unrestored.append(relative)
        self.finish(keep=set(unrestored))  # the old bytes of what could not be put back stay
        _remove_folders(list(reversed(self.folders)))
        return sorted(unrestored)

    def finish(self, keep: set[str] = frozenset()) -> None:
        for relative, backup in self.backups.items():
            if backup is not None and relative not in keep:
                _remove(backup)


def _keep_old(target: str, backup: str) -> None:
    """`backup` becomes a second name for the old file (a hard link, in the same folder, so on the
    same file system); where links are not allowed (some file systems, someone else's file under
    protected_hardlinks), a copy with the same mode."""
    try:
        os.link(target, backup, follow_symlinks=False)
        return
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
    if os.path.islink(target):
        os.symlink(os.readlink(target), backup)
        return
    with open(target, "rb") as handle:
        _write_new(backup, handle.read(), stat.S_IMODE(os.fstat(handle.fileno()).st_mode))


def abandon(out: str, owner: int, made: list[str]) -> None:
    """Removes what a failed or interrupted run staged, and the folders it made for --out
    (make_out) if they hold nothing else. A second Ctrl-C waits until this is done."""
    with held():
        _remove_any(_staging(out, owner))
        _remove_folders(made)


def _remove_folders(folders: list[str]) -> None:
    """Removes each folder if empty, innermost first (the list's order)."""
    for folder in folders:
        with suppress(OSError):
            os.rmdir(folder)


def dead_staging(out: str) -> list[str]:
    """Staging folders of runs whose process is gone (killed before they finished)."""
    found = []
    with suppress(OSError):
        for entry in os.scandir(out):
            owner = entry.name.removeprefix(STAGING_PREFIX)
            if entry.name.startswith(STAGING_PREFIX) and owner.isdigit() and not _alive(int(owner)):
                found.append(entry.path)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def _remove_any(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        import shutil

        shutil.rmtree(path, ignore_errors=True)
    else:
        _remove(path)


def replace_file(path: str, data: bytes, exclusive: bool = False, exists: str = "exists already") -> None:
    """Writes one file atomically (beside it, then renamed over it); with `exclusive`, refuses
    to replace a file that exists (UserError with the `exists` message). UserError on failure,
    nothing changed."""
    temporary = _beside(path)
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        _write_new(temporary, data, 0o666)
        if exclusive:
            os.link(temporary, path)  # fails if `path` exists, even if it appeared just now
            os.unlink(temporary)
        else:
            os.replace(temporary, path)
    except FileExistsError:
        _remove(temporary)
        raise UserError.single(path, exists) from None
    except OSError as error:
        _remove(temporary)
        raise UserError.single(path, f"cannot be written ({error.strerror})") from None


def _beside(path: str) -> str:
    """A temporary name in the same folder (so a rename to `path` is atomic), as leftovers() finds it."""
    return os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.{os.getpid()}{TEMP_MARK}")


def _write_new(path: str, data: bytes, mode: int) -> None:
    # O_EXCL: the file is ours from creation, with the mode asked for (umask aside), and a
    # leftover of the same name is never reused with its old, possibly wider, permissions.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags, mode)
    except FileExistsError:
        os.unlink(path)
        descriptor = os.open(path, flags, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
    except BaseException:
        os.close(descriptor)
        _remove(path)
        raise
    os.close(descriptor)


def _remove(path: str) -> None:
    with suppress(FileNotFoundError):
        os.unlink(path)


def _remove_empty_folders(out: str, relative: str) -> None:
    while relative:
        try:
            os.rmdir(os.path.join(out, relative))
        except OSError:
            return  # not empty (or not ours to remove): stop climbing
        relative = os.path.dirname(relative)


@contextmanager
def _locked(out: str):
    import fcntl  # POSIX only, and only needed when writing

    descriptor = os.open(out, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)
