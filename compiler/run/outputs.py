"""The output folder: reading previous outputs, finding stale ones, and writing safely.

Safety rules, each for a reason:
- New outputs are first written into the run's own staging folder inside --out
  (`.syncsecrets-staging-<pid>`, mode 0700), by whichever process compiled them, and renamed
  over their targets only once every profile of the run is known to be valid: a run that fails
  (a bad profile, a full disk) replaces nothing, and a run killed at any moment leaves each
  output with either its old bytes or its new bytes (a rename is atomic).
- Revealed files are created with mode 0600, never widened later: there is no moment at which
  another user could read them.
- The renames happen under an exclusive lock on the output folder itself (flock on its
  descriptor, so no lock file lands among the outputs): two runs into one folder take turns.
  What a killed run left (its staging folder, whose process is gone) is removed by the next.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import contextmanager, suppress

from ..problems import UserError
from ..profile.source import read_all

TEMP_MARK = ".syncsecrets-tmp"


def check_out_folder(out: str) -> None:
    """UserError unless `out` is a folder or could become one."""
    probe = out
    while probe and not os.path.exists(probe):
        probe = os.path.dirname(probe)
    if probe and not os.path.isdir(probe):
        what = "is a file" if probe == out else f"is inside {probe}, which is a file"
        raise UserError.single(out, f"--out {what}: give a folder for the outputs")


def read_previous(path: str) -> tuple[bytes | None, bool]:
    """The previous output's bytes (None if there is none) and whether it is private (0600)."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            info = os.fstat(descriptor)
            return read_all(descriptor, info.st_size), not (info.st_mode & 0o077)
        finally:
            os.close(descriptor)
    except FileNotFoundError:
        return None, False
    except IsADirectoryError:
        raise UserError.single(path, "is a folder where an output should be written: remove or rename it") from None
    except OSError as error:
        raise UserError.single(path, f"the previous output cannot be read ({error.strerror})") from None


def scan(out: str, owned: Callable[[str], bool]) -> tuple[set[str], list[str]]:
    """Outputs (`.json`, relative, `/`-separated) in the folders this run owns, and temporary
    files a killed run left behind there."""
    outputs, temporary = set(), []
    for folder, dirs, files in os.walk(out):
        relative = os.path.relpath(folder, out).replace(os.sep, "/")
        prefix = "" if relative == "." else relative + "/"
        dirs[:] = [name for name in dirs if not name.startswith(".")]
        for name in files:
            if not owned(prefix + name):
                continue
            if name.startswith(".") and TEMP_MARK in name:
                temporary.append(os.path.join(folder, name))
            elif name.endswith(".json"):
                outputs.add(prefix + name)
    return outputs, temporary


STAGING_PREFIX = ".syncsecrets-staging-"


class Stager:
    """Writes a run's new outputs into its staging folder; nothing shows in --out until commit()."""

    def __init__(self, out: str, owner: int, private: bool):
        self.root = os.path.join(out, f"{STAGING_PREFIX}{owner}")
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


def commit(out: str, owner: int, staged: list[str], leftovers: list[str], prune: list[str]) -> None:
    """Renames the staged outputs over their targets and removes `prune`, under the folder's lock."""
    root = os.path.join(out, f"{STAGING_PREFIX}{owner}")
    try:
        os.makedirs(out, exist_ok=True)
        with _locked(out):
            for path in leftovers:
                _remove_any(path)
            made: set[str] = set()
            for relative in staged:
                target = os.path.join(out, relative)
                folder = os.path.dirname(target)
                if folder not in made:
                    os.makedirs(folder, exist_ok=True)
                    made.add(folder)
                os.replace(os.path.join(root, relative), target)
            for relative in prune:
                _remove(os.path.join(out, relative))
                _remove_empty_folders(out, os.path.dirname(relative))
            _remove_any(root)
    except OSError as error:
        where = error.filename or out
        raise UserError.single(
            str(where), f"cannot write ({error.strerror}): check --out and its permissions"
        ) from None


def abandon(out: str, owner: int, created_out: bool) -> None:
    """Removes what a failed run staged (and --out itself, if the run made it and it is empty)."""
    _remove_any(os.path.join(out, f"{STAGING_PREFIX}{owner}"))
    if created_out:
        with suppress(OSError):
            os.rmdir(out)


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
    folder = os.path.dirname(path) or "."
    temporary = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}{TEMP_MARK}")
    try:
        os.makedirs(folder, exist_ok=True)
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
