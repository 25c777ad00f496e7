"""Which files in --out syncsecrets wrote: only those are ever reported stale, counted or pruned.

`<out>/.syncsecrets-outputs` (the manifest) lists the outputs syncsecrets wrote into the folder,
as relative `/`-separated paths, in JSON with one path per line (paths only: nothing secret, so
revealed runs keep one too). Any other file, `.json` or not, is someone else's: `compile --out
site --prune` leaves `site/package.json` alone. The manifest is updated, under the folder's lock,
in the same all-or-nothing commit as the outputs (outputs.commit), and is meant to be committed with
them, so that a fresh clone's `--check` still knows which outputs are stale. Its name does not end
in `.json`, so that a deploy step's `find build -name '*.json'` never takes it for a body.

It also names each output's service principal and environment, where the profile sets one:
a renamed profile's new output is compared with the last output for its service principal
(build.py), whose credential URLs a rename must not silently move.

The manifest is input like any other (a pull request can commit one): a path that could not be
an output (absolute, `..`, hidden parts, not `.json`) is ignored, and nothing is removed that is
not a plain file inside --out.
"""

from __future__ import annotations

import json
import os

from ..profile.confine import within

MANIFEST = ".syncsecrets-outputs"
FORMAT = 1
_MAX_BYTES = 64 * 1024 * 1024  # a manifest of a million outputs is far below this


def load(out: str) -> set[str] | None:
    """The outputs the manifest lists; None when there is no manifest this build can read."""
    return _outputs(_read(out))


def principals(out: str) -> dict[str, tuple[str, str | None]]:
    """Output -> (service principal, environment), for the listed outputs that have one."""
    return _principals(_read(out))


def _outputs(data: dict | None) -> set[str] | None:
    listed = data.get("outputs") if data is not None else None
    if not isinstance(listed, list):
        return None
    return {path for path in listed if is_output_path(path)}


def _principals(data: dict | None) -> dict[str, tuple[str, str | None]]:
    found = data.get("service_principals") if data is not None else None
    if not isinstance(found, dict):
        return {}
    return {
        path: (value[0], value[1])
        for path, value in found.items()
        if is_output_path(path)
        and isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str)
        and (value[1] is None or isinstance(value[1], str))
    }


def _read(out: str) -> dict | None:
    try:
        # O_NOFOLLOW: a manifest that is a symbolic link is not ours either.
        descriptor = os.open(os.path.join(out, MANIFEST), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with open(descriptor, "rb") as handle:
            data = json.loads(handle.read(_MAX_BYTES))
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


def update(
    out: str, added: set[str], removed: set[str], compiled: dict[str, tuple[str | None, str | None]] | None = None
) -> bytes | None:
    """The manifest with `added` and without `removed`, and the service principals of the outputs
    `compiled` (None: it has none); None if it would not change."""
    data = _read(out)  # once: both halves of one manifest
    current = _outputs(data)
    found = ((current or set()) - removed) | added
    known = _principals(data)
    merged = {**known, **(compiled or {})}
    named = {path: value for path, value in merged.items() if path in found and value[0] is not None}
    if found == current and named == known:
        return None
    return render(found, named) if found or current is not None else None


def render(outputs: set[str], named: dict | None = None) -> bytes:
    """The manifest's bytes: sorted, one path per line, so that its diff in a review is plain."""
    data: dict = {"format": FORMAT, "outputs": sorted(outputs)}
    if named:
        data["service_principals"] = {path: list(named[path]) for path in sorted(named)}
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()


def is_output_path(path: object) -> bool:
    """Whether `path` is something a profile can compile to: relative, `.json`, nothing hidden."""
    if not isinstance(path, str) or not path.endswith(".json") or "\0" in path:
        return False
    return all(part and not part.startswith(".") for part in path.split("/"))


def removable(out: str, relative: str) -> bool:
    """Whether the output is a plain file whose folder is inside --out (not reached through a
    symbolic link that leads elsewhere): only such a file may be reported stale or pruned."""
    path = os.path.join(out, relative)
    try:
        if not os.path.isfile(path) or os.path.islink(path):
            return False
    except OSError:
        return False
    root = os.path.realpath(out)
    folder = os.path.realpath(os.path.dirname(path))
    return within(folder, root)


def not_ours(out: str, in_area, known: set[str]) -> list[str]:
    """The `.json` files in the run's folders that syncsecrets did not write (relative paths)."""
    found = []
    for folder, dirs, files in os.walk(out):
        relative = os.path.relpath(folder, out).replace(os.sep, "/")
        prefix = "" if relative == "." else relative + "/"
        dirs[:] = sorted(name for name in dirs if not name.startswith("."))
        found += [
            prefix + name
            for name in sorted(files)
            if name.endswith(".json") and prefix + name not in known and in_area(prefix + name)
        ]
    return found
