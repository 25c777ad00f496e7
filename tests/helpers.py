"""Running the real command in tests, and reading folders back."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from compiler.cli import app
from compiler.profile import references
from compiler.run import ownership

REPO = Path(__file__).resolve().parent.parent


def spellings(secret: str) -> list[str]:
    """The ways a service could write `secret` back: raw, as JSON, as .NET writes JSON (upper-
    and lower-case hex), nested in JSON, as Python's repr, URL-encoded (either hex case)."""
    import json
    from urllib.parse import quote, quote_plus

    from compiler.sandbox.odata import dotnet_json

    dotnet = dotnet_json(secret)[1:-1]
    forms = [
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        dotnet,
        dotnet.lower(),
        json.dumps(dotnet)[1:-1],
        repr(secret)[1:-1],
        quote_plus(secret),
        quote_plus(secret).lower(),
        quote(secret, safe=""),
        quote(secret, safe="").lower(),
    ]
    return sorted(set(forms))


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


def run_cli(args: list[str], cwd: Path, env: dict[str, str] | None = None, input: str | None = None) -> Result:
    """The command run in this process (fast): typer parses `args` exactly as from a shell."""
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(app, args, env=env or {}, catch_exceptions=False, input=input)
    finally:
        os.chdir(previous)
        references.SECRETS.clear()  # each run is a new process in real life
    return Result(result.exit_code, result.stdout, result.stderr)


def run_process(args: list[str], cwd: Path, env: dict[str, str] | None = None, **kwargs) -> subprocess.CompletedProcess:
    """The command as a user runs it: a new `python -m compiler` process."""
    full_env = {key: value for key, value in os.environ.items() if not key.startswith(("SYNCSECRETS", "NO_COLOR"))}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "compiler", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        check=False,
        **kwargs,
    )


def start_sandbox(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, dict[str, str]]:
    """`syncsecrets sandbox ARGS` started as a user starts it, and the variables of the `export`
    lines it printed (read as a shell reads them). Killed if it has not printed them within
    READY_SECONDS; the caller stops it (SIGINT, as Ctrl-C) and waits for its exit code."""
    full_env = {key: value for key, value in os.environ.items() if not key.startswith(("SYNCSECRETS", "NO_COLOR"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "compiler", "sandbox", *args],
        cwd=cwd,
        env={**full_env, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(READY_SECONDS, process.kill)
    watchdog.start()
    exports: dict[str, str] = {}
    try:
        while len(exports) < 3 and (line := process.stdout.readline()):
            words = shlex.split(line, comments=True)
            if words[:1] == ["export"]:
                name, _, value = words[1].partition("=")
                exports[name] = value
    finally:
        watchdog.cancel()
    return process, exports


READY_SECONDS = 30


def modules_loaded_by_compile(cwd: Path, prefixes: tuple[str, ...], env: dict[str, str] | None = None) -> list[str]:
    """The modules whose name starts with one of `prefixes` (`httpx`, `compiler.graph`, ...) that
    a fresh process has imported after `compile configs --out build` in `cwd` (which must pass)."""
    code = (
        "import sys\n"
        "from compiler.cli import app\n"
        "try:\n"
        "    app(['compile', 'configs', '--out', 'build'])\n"
        "except SystemExit as done:\n"
        "    assert done.code == 0, done.code\n"
        f"print('loaded:', *sorted(name for name in sys.modules if name.startswith({prefixes!r})))\n"
    )
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=False, env=full_env
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.splitlines()[-1].split()[1:]  # the last line, after what compile printed


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (relative path -> bytes), but the manifest of outputs
    (ownership.py): the outputs, as a user sees them."""
    if not folder.is_dir():
        return {}
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.relative_to(folder).as_posix() != ownership.MANIFEST
    }


def snapshot(folder: Path) -> dict[str, tuple]:
    """Everything under `folder`, itself included: each file's bytes and mode, each folder's and
    link's mode or target. Equal snapshots: nothing was written, created, removed or chmod'ed."""
    if not os.path.lexists(folder):
        return {}
    found = {}
    for path in [folder, *sorted(folder.rglob("*"))]:
        info = path.lstat()
        name = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[name] = ("link", os.readlink(path))
        elif path.is_dir():
            found[name] = ("folder", oct(info.st_mode))
        else:
            found[name] = ("file", oct(info.st_mode), path.read_bytes())
    return found


def write_manifest(out: Path, outputs: list[str]) -> None:
    """Records `outputs` as written by syncsecrets, as a run that wrote them would have."""
    out.mkdir(parents=True, exist_ok=True)
    (out / ownership.MANIFEST).write_bytes(ownership.render(set(outputs)))
