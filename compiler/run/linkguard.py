"""Outputs are never written through a symbolic link inside `--out`.

A link committed as `build/dev -> ../configs` would send `build/dev/app.json` into a tracked
folder (or anywhere else on the machine), and git, asked about the path under `build/`, only
answers that it lies "beyond a symbolic link". `--out` itself may be a link: it is resolved
once, and everything below it must be real folders.
"""

from __future__ import annotations

import os

from ..problems import Problem


def linked_folders(out: str, outputs: list[str]) -> list[Problem]:
    """A problem for each folder between `out` and an output (relative, `/`-separated) that is a link."""
    problems, seen = [], set()
    for output in outputs:
        parts = output.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            folder = "/".join(parts[:depth])
            if folder in seen:
                continue
            seen.add(folder)
            path = os.path.join(out, folder)
            if os.path.islink(path):
                problems.append(
                    Problem(
                        path,
                        "is a symbolic link inside --out, and outputs are never written "
                        "through one: remove the link (give --out the real folder instead)",
                    )
                )
                break
    return problems
