"""The data-driven corpus: every folder of tests/cases/ is one compile run.

A case folder holds the input files and what must come out:
- `case.toml` (optional): `args` (extra command-line arguments), `paths` (what to compile,
  default `["profile.toml"]`), `env` (environment variables), `exit` (expected exit code),
  `previous` (a table of output path -> file in the case, placed in --out before the run),
  `private` (list of those outputs made mode 0600, as --reveal would have written them),
  `pad` (a table of file -> size: the file is padded with comment lines to that many bytes, so
  that files over the size limit need not be stored), `schema_invalid` (the JSON Schema must
  refuse the profile too: tests/test_authoring.py), `owned` (list of previous outputs that
  syncsecrets wrote, listed in the manifest of --out; default: every `.json` one of `previous`).
- `expected.json`: the exact bytes of `out/profile.json`; or `expected/`: the exact tree of --out.
- `expected.err`: the exact standard error; `expected.out`: the exact standard output.
The run happens in a copy of the case folder, so messages name files as `profile.toml`.
"""

from __future__ import annotations

import os
import shutil
import tomllib
from pathlib import Path

import pytest

from tests.helpers import run_cli, snapshot, tree, write_manifest

CASES = Path(__file__).parent / "cases"
OUT = "out"


def case_names() -> list[str]:
    return sorted(path.name for path in CASES.iterdir() if path.is_dir())


@pytest.mark.parametrize("name", case_names())
def test_case(name: str, tmp_path: Path) -> None:
    source = CASES / name
    work = tmp_path / "case"
    shutil.copytree(source, work, symlinks=True)
    config = tomllib.loads((work / "case.toml").read_text()) if (work / "case.toml").exists() else {}
    for output, previous in config.get("previous", {}).items():
        target = work / OUT / output
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(work / previous, target)
        os.chmod(target, 0o600 if output in config.get("private", []) else 0o644)
    owned = config.get("owned", [name for name in config.get("previous", {}) if name.endswith(".json")])
    if owned:
        write_manifest(work / OUT, owned)
    for name, size in config.get("pad", {}).items():
        pad(work / name, size)
    before = snapshot(work / OUT)

    args = ["compile", *config.get("paths", ["profile.toml"]), "--out", OUT, *config.get("args", [])]
    result = run_cli(args, cwd=work, env=config.get("env", {}))

    expected_exit = config.get("exit", 2 if (source / "expected.err").exists() and not _has_output(source) else 0)
    assert (result.exit_code, result.stderr) == (expected_exit, _read(source / "expected.err")), result.stdout
    if (source / "expected.out").exists():
        assert result.stdout == _read(source / "expected.out")
    if (source / "expected.json").exists():
        assert (work / OUT / "profile.json").read_bytes() == (source / "expected.json").read_bytes()
    elif (source / "expected").is_dir():
        assert tree(work / OUT) == tree(source / "expected")
    if expected_exit == 2:
        assert snapshot(work / OUT) == before, "a failed run must not write anything"


def pad(path: Path, size: int) -> None:
    with path.open("ab") as handle:
        while handle.tell() < size:
            handle.write(b"# padding to make the file larger than the limit\n")


def _has_output(source: Path) -> bool:
    return (source / "expected.json").exists() or (source / "expected").is_dir()


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""
