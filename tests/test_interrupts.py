"""Runs that are killed, runs that race, writes that fail: outputs stay whole.

These start real `python -m compiler` processes, kill them with SIGKILL at moments spread over a
whole run, and start two at once into one folder.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from compiler.run import outputs, ownership
from tests.helpers import run_cli, snapshot, tree

PROFILES = 600


def write_profiles(folder: Path, version: int) -> None:
    folder.mkdir(exist_ok=True)
    for number in range(PROFILES):
        (folder / f"app{number:04}.toml").write_text(
            f'user_name = "v{version}-{number}"\ninstance_name = "{"x" * 300}"\nsync_all = {str(version == 2).lower()}\n'
        )


def compile_process(configs: Path, out: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "compiler", "compile", str(configs), "--out", str(out), "-q", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: a kill reaches its workers too
    )


def leftovers(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if outputs.TEMP_MARK in path.name or outputs.STAGING_PREFIX in path.name]


def assert_each_file_old_or_new(out: Path, old: dict[str, bytes], new: dict[str, bytes]) -> None:
    # What a killed run left besides (its staging folder, the old bytes it kept for a roll-back) is
    # hidden, and removed by the next run (checked below).
    found = {
        name: data
        for name, data in tree(out).items()
        if not name.startswith(outputs.STAGING_PREFIX) and not name.endswith(outputs.TEMP_MARK)
    }
    assert set(found) == set(old)
    for name, data in found.items():
        assert data in (old[name], new[name]), name
        json.loads(data)


@pytest.fixture
def versions(tmp_path: Path) -> tuple[Path, dict[str, bytes], dict[str, bytes]]:
    """configs/ at version 2, with the outputs of version 1 and of version 2."""
    configs = tmp_path / "configs"
    write_profiles(configs, 1)
    assert compile_process(configs, tmp_path / "old").wait() == 0
    write_profiles(configs, 2)
    assert compile_process(configs, tmp_path / "new").wait() == 0
    return configs, tree(tmp_path / "old"), tree(tmp_path / "new")


def test_a_killed_run_leaves_old_or_new_bytes(tmp_path: Path, versions) -> None:
    configs, old, new = versions
    out = tmp_path / "out"
    started = time.perf_counter()
    assert compile_process(configs, tmp_path / "timing").wait() == 0
    duration = time.perf_counter() - started
    attempts = 8
    for attempt in range(attempts):
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(tmp_path / "old", out)
        process = compile_process(configs, out)
        time.sleep(duration * (attempt + 0.5) / attempts)  # moments spread over a whole run
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        assert_each_file_old_or_new(out, old, new)
    finished = compile_process(configs, out)
    assert finished.wait() == 0
    assert not leftovers(out), "the next run removes what a killed run left"
    assert {name: data for name, data in tree(out).items()} == new


def test_two_runs_at_once_corrupt_nothing(tmp_path: Path, versions) -> None:
    configs, old, new = versions
    other = tmp_path / "configs-v1"
    write_profiles(other, 1)
    out = tmp_path / "out"
    for _ in range(3):
        first, second = compile_process(configs, out), compile_process(other, out)
        assert (first.wait(), second.wait()) == (0, 0), (first.stderr.read(), second.stderr.read())
        assert_each_file_old_or_new(out, old, new)
        assert not leftovers(out)


def test_a_failed_write_replaces_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "configs").mkdir()
    for name in ("a", "b"):
        (tmp_path / "configs" / f"{name}.toml").write_text(f'user_name = "{name}"\n')
    assert run_cli(["compile"], cwd=tmp_path).exit_code == 0
    before = tree(tmp_path / "build")
    for name in ("a", "b"):
        (tmp_path / "configs" / f"{name}.toml").write_text(f'user_name = "{name}-2"\n')
    real = outputs._write_new
    calls = []

    def fail_on_second(path: str, data: bytes, mode: int) -> None:
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device", path)
        real(path, data, mode)

    monkeypatch.setattr(outputs, "_write_new", fail_on_second)
    failed = run_cli(["compile"], cwd=tmp_path)
    assert failed.exit_code == 2
    assert "build/b.json: cannot write (No space left on device)" in failed.stderr
    assert tree(tmp_path / "build") == before  # the first output, staged already, was not renamed
    assert not leftovers(tmp_path / "build")


def test_revealed_files_are_private_from_their_creation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The mode is set when the file is created, before any byte is written or it is renamed."""
    seen = []
    real_open = os.open

    def watching_open(path, flags, mode=0o777, *args, **kwargs):
        descriptor = real_open(path, flags, mode, *args, **kwargs)
        if outputs.STAGING_PREFIX in str(path) and flags & os.O_CREAT:
            seen.append(stat.S_IMODE(os.fstat(descriptor).st_mode))
        return descriptor

    monkeypatch.setattr(outputs.os, "open", watching_open)
    (tmp_path / "app.toml").write_text('secret_token = { env = "APP_TOKEN" }\n')
    result = run_cli(
        ["compile", "app.toml", "--reveal", "--allow-unignored-output"], cwd=tmp_path, env={"APP_TOKEN": "t0ken-value"}
    )
    assert result.exit_code == 0, result.stderr
    assert seen == [0o600, 0o600]  # the output, and the manifest of outputs (ownership.py)
    assert stat.S_IMODE((tmp_path / "build" / "app.json").stat().st_mode) == 0o600


def test_an_out_folder_that_cannot_be_written(tmp_path: Path) -> None:
    (tmp_path / "app.toml").write_text('user_name = "x"\n')
    if os.geteuid() == 0:
        target = "/sys/syncsecrets-test-out"  # even root cannot make a folder here
    else:
        (tmp_path / "locked").mkdir(mode=0o500)
        target = str(tmp_path / "locked" / "out")
    result = run_cli(["compile", "app.toml", "--out", target], cwd=tmp_path)
    assert result.exit_code == 2
    assert f"{target}: cannot be created (" in result.stderr and "check --out" in result.stderr


def write_secret_profiles(folder: Path, count: int) -> None:
    folder.mkdir(exist_ok=True)
    for number in range(count):
        (folder / f"app{number:04}.toml").write_text(
            f'secret_token = {{ env = "APP_TOKEN" }}\nuser_name = "{number}"\ninstance_name = "{"x" * 300}"\n'
        )


def staging_folders(out: Path) -> list[Path]:
    return list(out.glob(f"{outputs.STAGING_PREFIX}*")) if out.is_dir() else []


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("out_existed", [False, True], ids=["new --out", "existing --out"])
def test_a_signal_during_reveal_leaves_no_secret_behind(tmp_path: Path, how: int, out_existed: bool) -> None:
    configs, out = tmp_path / "configs", tmp_path / "secrets-out"
    write_secret_profiles(configs, 2000)
    if out_existed:
        out.mkdir()
        (out / "notes.txt").write_text("kept\n")
    before = snapshot(out)
    process = subprocess.Popen(
        [sys.executable, "-m", "compiler", "compile", str(configs), "--out", str(out), "--reveal", "-q"],
        env={**os.environ, "APP_TOKEN": "s3cr3t-token-value"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not any(folder.is_dir() and any(folder.rglob("*.json")) for folder in staging_folders(out)):
        assert process.poll() is None, "the run ended before it staged anything"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    os.killpg(process.pid, how)  # as Ctrl-C or a CI timeout would: the whole process group
    assert process.wait(timeout=60) == (130 if how == signal.SIGINT else 143)
    assert process.stderr.read().strip().splitlines()[-1] in ("syncsecrets: interrupted", "syncsecrets: terminated")
    assert not staging_folders(out)
    assert snapshot(out) == before  # nothing changed, and a folder the run made is gone
    assert out.is_dir() == out_existed


def test_a_revealed_out_folder_is_private(tmp_path: Path) -> None:
    (tmp_path / "app.toml").write_text('secret_token = { env = "APP_TOKEN" }\n[environments.prod]\n')
    out = tmp_path / "new" / "secrets-out"
    for args in ([], ["--env", "prod"]):
        result = run_cli(
            ["compile", "app.toml", "--reveal", "--out", str(out), *args],
            cwd=tmp_path,
            env={"APP_TOKEN": "t0ken-value"},
        )
        assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert stat.S_IMODE((out / "prod").stat().st_mode) == 0o700
    assert stat.S_IMODE((out / "prod" / "app.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((out / ownership.MANIFEST).stat().st_mode) == 0o600
    # An unrevealed --out is an ordinary folder.
    assert run_cli(["compile", "app.toml", "--out", "plain"], cwd=tmp_path).exit_code == 0
    assert stat.S_IMODE((tmp_path / "plain").stat().st_mode) == 0o777 & ~current_umask()


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_an_out_folder_another_run_makes_at_the_same_moment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "app.toml").write_text('user_name = "x"\n')
    real = os.mkdir

    def beaten(path, mode=0o777, **kwargs) -> None:
        if str(path).endswith("/out"):
            real(path, mode)  # the other run, a moment earlier
            raise FileExistsError(17, "File exists", path)
        real(path, mode, **kwargs)

    monkeypatch.setattr(outputs.os, "mkdir", beaten)
    done = run_cli(["compile", "app.toml", "--out", "out"], cwd=tmp_path)
    assert done.exit_code == 0, done.stderr
    assert list(tree(tmp_path / "out")) == ["app.json"]


def test_a_ctrl_c_during_the_commit_waits_until_it_is_done(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The commit is not cut in half: Ctrl-C arriving after its first rename takes effect once
    every output is in place (then the run stops with 130 and removes its staging folder)."""
    (tmp_path / "configs").mkdir()
    for name in ("a", "b", "c"):
        (tmp_path / "configs" / f"{name}.toml").write_text(f'user_name = "{name}"\n')
    assert run_cli(["compile"], cwd=tmp_path).exit_code == 0
    for name in ("a", "b", "c"):
        (tmp_path / "configs" / f"{name}.toml").write_text(f'user_name = "{name}-2"\n')
    real = outputs._Undo.apply
    renames = []

    def interrupted_after_the_first(self, relative: str, source: str | None) -> None:
        real(self, relative, source)
        renames.append(relative)
        if len(renames) == 1:
            # To the main thread, as a terminal's Ctrl-C reaches a compile (one thread); the test
            # runner's own threads (pytest-xdist's) must not take it in its place.
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    monkeypatch.setattr(outputs._Undo, "apply", interrupted_after_the_first)
    stopped = run_cli(["compile"], cwd=tmp_path)
    assert stopped.exit_code == 130, stopped.stdout + stopped.stderr
    assert sorted(renames) == ["a.json", "b.json", "c.json"]
    assert {name: json.loads(data)["value"][0]["value"] for name, data in tree(tmp_path / "build").items()} == {
        "a.json": "a-2",
        "b.json": "b-2",
        "c.json": "c-2",
    }
    assert not leftovers(tmp_path / "build")
