"""Refusing to write revealed secrets where git would pick them up.

Revealed outputs hold real credentials. If they land in a git work tree without being ignored,
the next `git add -A` commits them, and a secret in history is leaked for good.

The check fails closed: paths are resolved (symbolic links included) before git is asked, since
git answers for the path it is given, not for where a link leads; and when git cannot answer
(a repository it calls of dubious ownership, a path it will not follow), the run is refused
with git's reason rather than assumed safe. Only "not a git repository" lets the run through.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from ..profile.confine import within

ELSEWHERE = "give --out a folder outside the work tree (in CI, the runner's temporary folder)"


def unignored(out: str, outputs: list[str]) -> str | None:
    """Why git would (or might) pick up some of `outputs` (relative to `out`), with the fix; None
    if it would not."""
    git = shutil.which("git")
    if git is None or not outputs:
        return None  # no git here: nothing can commit the files by accident
    folder = os.path.realpath(out)
    probe = folder
    while not os.path.isdir(probe):
        probe = os.path.dirname(probe)
    found = _git(git, probe, "rev-parse", "--show-toplevel")
    if found.returncode != 0:
        if "not a git repository" in found.stderr:
            return None
        return _cannot_tell(found)
    top = os.path.realpath(found.stdout.strip())
    if not within(folder, top):
        return None  # git found a repository the outputs are not in (a folder above a link)
    # Where each output really goes: a link inside --out is refused elsewhere, but git must be
    # asked about the place the bytes would land, not about a name that passes through a link.
    real_folders = {
        part: os.path.realpath(os.path.join(folder, part)) for part in {os.path.dirname(o) for o in outputs}
    }
    written = [os.path.join(real_folders[os.path.dirname(output)], os.path.basename(output)) for output in outputs]
    paths = sorted({os.path.relpath(path, top) for path in written if within(path, top)})
    if not paths:
        return None
    relative = os.path.relpath(folder, top)
    # One folder that holds them all, not thousands of arguments.
    scope = os.path.relpath(os.path.commonpath([os.path.dirname(os.path.join(top, path)) for path in paths]), top)
    listed = _git(git, top, "--literal-pathspecs", "ls-files", "-z", "--", scope)  # `*` in a name is a `*`
    if listed.returncode != 0:
        return _cannot_tell(listed)
    tracked = sorted(set(listed.stdout.split("\0")) & set(paths))
    if tracked:
        return f"{tracked[0]} is tracked by git in {top}, so its secrets would be committed: {ELSEWHERE}"
    checked = _git(git, top, "check-ignore", "--stdin", "-z", stdin="\0".join(paths) + "\0")
    if checked.returncode > 1:
        return _cannot_tell(checked)
    ignored = set(filter(None, checked.stdout.split("\0")))
    missed = [path for path in paths if path not in ignored]
    if not missed:
        return None
    # The line to add: --out's folder, unless a link inside it leads the output elsewhere.
    under_out = relative == "." or within(missed[0], relative)
    folder = relative if under_out else os.path.dirname(missed[0])
    line = "/" + folder.replace(os.sep, "/").strip("/") + "/" if folder not in (".", "") else "/*.json"
    return (
        f"it is inside the git work tree {top}, which does not ignore {missed[0]}: add the line {line} to "
        f"{os.path.join(top, '.gitignore')}, or {ELSEWHERE}"
    )


def _cannot_tell(answer: subprocess.CompletedProcess) -> str:
    said = next((line.strip() for line in answer.stderr.splitlines() if line.strip()), "no reason given")
    return f"git cannot tell whether it would commit them (git said: {said}): fix that, or {ELSEWHERE}"


def _git(git: str, folder: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "LC_ALL": "C", "LANGUAGE": "C"}  # English, to recognise "not a git repository"
    return subprocess.run([git, "-C", folder, *args], input=stdin, capture_output=True, text=True, check=False, env=env)
