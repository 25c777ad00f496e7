"""The floor ("the yardstick"): the least a compiler of these profiles could do.

    python bench/floor.py SRC OUT

Parses every profile under SRC with tomllib and writes a naive `{"value": [...]}` body with json
to OUT/<relative path>.json: no validation, no `extends`, no diff, no canonical order, and every
file rewritten on every run. It walks and names files the way `syncsecrets compile SRC --out OUT`
does (sorted, recursive, hidden entries skipped, `_*.toml` partials read but not written), so
both read the same files and write the same number of outputs. Standard library only, so its
start-up is the interpreter's.
"""

import json
import os
import sys
import tomllib


def main(src: str, out: str) -> None:
    for folder, dirs, files in os.walk(src):
        dirs[:] = sorted(name for name in dirs if not name.startswith("."))
        target_folder = os.path.join(out, os.path.relpath(folder, src))
        os.makedirs(target_folder, exist_ok=True)
        for name in sorted(files):
            if name.startswith(".") or not name.endswith(".toml"):
                continue
            with open(os.path.join(folder, name), "rb") as handle:
                data = tomllib.load(handle)
            if name.startswith("_"):
                continue  # a partial: syncsecrets reads it too, but writes nothing for it
            with open(os.path.join(target_folder, name[: -len(".toml")] + ".json"), "w", encoding="utf-8") as handle:
                json.dump({"value": [{"key": k, "value": str(v)} for k, v in data.items()]}, handle)


if __name__ == "__main__":
    main(*sys.argv[1:])
