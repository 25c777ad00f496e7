"""Refusing to write revealed secrets where git would pick them up.

Revealed outputs hold real credentials. If they land in a git work tree without being ignored,
the next `git add -A` commits them, and a secret in history is leaked for good.
"""

from __future__ import annotations

import os
import shutil
import subprocess


def unignored(out: str, outputs: list[str]) -> str | None:
    """Why git would pick up some of `outputs` (relative to `out`), with the fix; None if it would not."""
    git = shutil.which("git")
    if git is None or not outputs:
        return None  # no git here: nothing can commit the files by accident
    folder = os.path.abspath(out)
    probe = folder
    while not os.path.isdir(probe):
        probe = os.path.dirname(probe)
    found = _git(git, probe, "rev-parse", "--show-toplevel")
    if found.returncode != 0:
        return None  # not inside a work tree
    top = found.stdout.strip()
    relative = os.path.relpath(folder, top)
    if relative.startswith(".."):
        return None
    paths = [os.path.normpath(os.path.join(relative, output)) for output in outputs]
    elsewhere = "give --out a folder outside the work tree (in CI, the runner's temporary folder)"
    listed = _git(git, top, "ls-files", "-z", "--", relative)  # one folder, not thousands of arguments
    tracked = sorted(set(listed.stdout.split("\0")) & set(paths)) if listed.returncode == 0 else []
    if tracked:
        return f"{tracked[0]} is tracked by git in {top}, so its secrets would be committed: {elsewhere}"
    checked = _git(git, top, "check-ignore", "--stdin", "-z", stdin="\0".join(paths) + "\0")
    if checked.returncode > 1:
        return None  # git could not tell (an old git, a broken repository): do not block on it
    ignored = set(filter(None, checked.stdout.split("\0")))
    if all(path in ignored for path in paths):
        return None
    line = "/" + relative.replace(os.sep, "/").strip("/") + "/" if relative != "." else "/*.json"
    return (f"it is inside the git work tree {top}, which does not ignore it: add the line {line} to "
            f"{os.path.join(top, '.gitignore')}, or {elsewhere}")  # fmt: skip


def _git(git: str, folder: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([git, "-C", folder, *args], input=stdin, capture_output=True, text=True, check=False)
