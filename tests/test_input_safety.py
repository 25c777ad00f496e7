"""Hostile input that the corpus cannot hold: pipes, git repositories, odd file names."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from compiler.profile.source import read_all
from tests.helpers import run_cli

REVEAL = ["--reveal", "--allow-unignored-output"]


def _feed(fifo: Path, data: bytes, done: threading.Event) -> None:
    """Writes `data` into `fifo` once something opens it for reading (until `done`, or 5 s)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not done.is_set():
        try:
            descriptor = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as error:
            if error.errno != errno.ENXIO:  # ENXIO: no reader yet
                raise
            time.sleep(0.01)
            continue
        try:
            os.write(descriptor, data)
        finally:
            os.close(descriptor)
        return


def test_a_secret_file_that_is_a_pipe_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "token.fifo")
    (tmp_path / "profile.toml").write_text('secret_token = { file = "token.fifo" }\n')
    done = threading.Event()
    feeder = threading.Thread(target=_feed, args=(tmp_path / "token.fifo", b"wrong-credential\n", done), daemon=True)
    feeder.start()
    try:
        result = run_cli(["compile", "profile.toml", "--out", "out", *REVEAL], cwd=tmp_path)
    finally:
        done.set()
        feeder.join()
    assert (result.exit_code, result.stderr) == (
        2,
        "profile.toml:1:1: secret_token: file token.fifo: is not a regular file (a pipe, device or socket): "
        "a secret file is a file\nsyncsecrets: 1 error; nothing was written\n",
    )
    assert not (tmp_path / "out").exists()


def test_reading_goes_on_to_the_end_of_the_file() -> None:
    """fstat's size is only a hint: a file that says 0 bytes is read to its end all the same."""
    reader, writer = os.pipe()
    os.write(writer, b"a-whole-credential")
    os.close(writer)
    try:
        assert read_all(reader, 0) == b"a-whole-credential"
    finally:
        os.close(reader)


FORGED = "\n::error file=forged.toml::forged"  # a GitHub workflow command, if it starts a line
TERMINAL = "\x1b]0;title\x07\x1b[2J"  # escape sequences: a window title, a cleared screen


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_no_control_character_reaches_the_log_raw(tmp_path: Path, fmt: str) -> None:
    configs = tmp_path / "configs"
    configs.mkdir()
    # A file name, and a JSON field name (a warning names it): compiles, with a warning.
    # A value with line separators other than "\n" (JSON keeps them raw), shown by --diff unified.
    (configs / f"app{FORGED}{TERMINAL}\u2028.toml").write_text(
        'sync_notification_settings = \'{"Enabled": true, "x\\n::error::forged\\u001b[2J": 1}\'\n'
        'user_name = "svc\\u2028::error::forged\\u0085::error::forged"\n'
    )
    compiled = run_cli(["compile", "configs", "--out", "out", "--format", fmt, "--diff", "unified"], cwd=tmp_path)
    # A quoted key: an error.
    (configs / "bad.toml").write_text('"key\\n::error::forged\\u001b[2J\\u0007\\u0085" = 1\n')
    failed = run_cli(["compile", "configs", "--out", "out", "--format", fmt], cwd=tmp_path)
    assert (compiled.exit_code, failed.exit_code) == (0, 2), compiled.stderr
    for result in (compiled, failed):
        printed = result.stdout + result.stderr
        assert "forged" in printed  # named, escaped
        assert not any(line.startswith(("::error file=forged", "::error::forged")) for line in printed.splitlines())
        assert not any(char in printed for char in "\x1b\x07\x85\u2028"), printed
        if fmt == "json":
            json.loads(result.stdout)


def test_a_renamed_profile_is_compared_with_its_service_principal_s_old_output(tmp_path: Path) -> None:
    (tmp_path / "configs").mkdir()
    application = '[application]\nservice_principal_id = "2f9f1c9e-1b7a-4c1e-9a55-0c9e2d1f7b10"\n'
    token = 'secret_token = { env = "TOKEN" }\n'
    old = tmp_path / "configs" / "scim.toml"
    old.write_text(f'base_address = "https://scim.good.example/v2"\n{token}{application}')
    assert run_cli(["compile", "configs", "--out", "build"], cwd=tmp_path).exit_code == 0
    old.unlink()  # renamed, and pointed elsewhere, in one pull request
    (tmp_path / "configs" / "scim-renamed.toml").write_text(
        f'base_address = "https://attacker.example/"\n{token}{application}'
    )
    renamed = run_cli(["compile", "configs", "--out", "build", "--check"], cwd=tmp_path)
    assert renamed.exit_code == 1
    assert (
        "  ! warning: BaseAddress host changes from scim.good.example to attacker.example while SecretToken keeps "
        "the same secret: the credential will be sent to attacker.example; make sure that is intended (compared "
        "with build/scim.json, the last output for this service principal)\n"
    ) in renamed.stdout


def test_a_fresh_clone_still_compares_a_renamed_profile(tmp_path: Path) -> None:
    """What git keeps of build/ (the outputs and their manifest) is enough to pair a renamed
    profile with its service principal's old output."""
    work, clone = tmp_path / "work", tmp_path / "clone"
    (work / "configs").mkdir(parents=True)
    application = '[application]\nservice_principal_id = "2f9f1c9e-1b7a-4c1e-9a55-0c9e2d1f7b10"\n'
    token = 'secret_token = { env = "TOKEN" }\n'
    (work / "configs" / "scim.toml").write_text(f'base_address = "https://scim.good.example/v2"\n{token}{application}')
    assert run_cli(["compile", "configs", "--out", "build"], cwd=work).exit_code == 0
    shutil.copytree(work, clone, ignore=shutil.ignore_patterns(".syncsecrets-cache"))  # git-ignored: not cloned
    (clone / "configs" / "scim.toml").unlink()
    (clone / "configs" / "scim-renamed.toml").write_text(
        f'base_address = "https://attacker.example/"\n{token}{application}'
    )
    renamed = run_cli(["compile", "configs", "--out", "build", "--check"], cwd=clone)
    assert renamed.exit_code == 1
    assert "(compared with build/scim.json, the last output for this service principal)" in renamed.stdout


# -- the --reveal git guard -----------------------------------------------------------------
SCIM = 'base_address = "https://scim.contoso.example/v2"\nsecret_token = { env = "APP_TOKEN" }\n'
SECRET = {"APP_TOKEN": "s3cr3t-token-value"}
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd, check=True, capture_output=True
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git work tree with configs/app.toml committed (it also declares [environments.dev])."""
    root = tmp_path / "repo"
    (root / "configs").mkdir(parents=True)
    (root / "configs" / "app.toml").write_text(SCIM + "[environments.dev]\n")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "profiles")
    return root


def _revealed_anywhere(root: Path) -> list[str]:
    return [
        str(path)
        for path in root.rglob("*")
        if path.is_file() and SECRET["APP_TOKEN"] in path.read_text(errors="replace")
    ]


@needs_git
def test_reveal_through_a_link_to_the_work_tree_is_refused(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "alias").symlink_to(repo)
    result = run_cli(["compile", "repo/configs", "--out", "alias/build", "--reveal"], cwd=tmp_path, env=SECRET)
    assert result.exit_code == 2
    assert (
        f"inside the git work tree {repo}, which does not ignore build/app.json: add the line /build/" in result.stderr
    )
    assert _revealed_anywhere(tmp_path) == []


@needs_git
def test_reveal_into_an_out_that_links_to_an_unignored_folder_is_refused(repo: Path) -> None:
    (repo / ".gitignore").write_text("build\n")  # the link is ignored; where it leads is not
    (repo / "exposed").mkdir()
    (repo / "build").symlink_to("exposed")
    result = run_cli(["compile", "configs", "--out", "build", "--reveal"], cwd=repo, env=SECRET)
    assert result.exit_code == 2
    assert "which does not ignore exposed/app.json: add the line /exposed/" in result.stderr
    assert _revealed_anywhere(repo) == []


@needs_git
def test_no_output_is_written_through_a_link_inside_out(repo: Path) -> None:
    (repo / "build").mkdir()
    (repo / "build" / "dev").symlink_to("../configs")  # committed: git answers "beyond a symbolic link"
    (repo / ".gitignore").write_text("/build/*\n!/build/dev\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "a link in build/")
    link_problem = "build/dev: is a symbolic link inside --out, and outputs are never written through one"
    for args in (["--reveal"], []):
        result = run_cli(["compile", "configs", "--out", "build", "--env", "dev", *args], cwd=repo, env=SECRET)
        assert result.exit_code == 2 and link_problem in result.stderr
        assert not (repo / "configs" / "app.json").exists()
    revealed = run_cli(["compile", "configs", "--out", "build", "--env", "dev", "--reveal"], cwd=repo, env=SECRET)
    assert "which does not ignore configs/app.json: add the line /configs/" in revealed.stderr


@needs_git
def test_reveal_into_a_folder_named_with_two_dots_is_checked(repo: Path) -> None:
    result = run_cli(["compile", "configs", "--out", "..secrets/build", "--reveal"], cwd=repo, env=SECRET)
    assert result.exit_code == 2
    assert "which does not ignore ..secrets/build/app.json: add the line /..secrets/build/" in result.stderr
    assert not (repo / "..secrets").exists()


@needs_git
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="giving the repository away needs root")
def test_reveal_is_refused_when_git_will_not_answer(repo: Path, tmp_path: Path) -> None:
    """A repository owned by another user (common in CI containers): git refuses to look at it."""
    for path in [repo, *repo.rglob("*")]:
        os.lchown(path, 54321, 54321)
    (tmp_path / "home").mkdir()
    # No safe.directory from this machine's configuration; not a sudo session either.
    env = {
        **SECRET,
        "HOME": str(tmp_path / "home"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "SUDO_UID": None,
    }
    refused = run_cli(["compile", "configs", "--out", "build", "--reveal"], cwd=repo, env=env)
    assert refused.exit_code == 2
    assert "git cannot tell whether it would commit them (git said: fatal: detected dubious ownership" in refused.stderr
    assert "--allow-unignored-output overrides this check" in refused.stderr
    assert _revealed_anywhere(repo) == []
    allowed = run_cli(
        ["compile", "configs", "--out", "build", "--reveal", "--allow-unignored-output"], cwd=repo, env=env
    )
    assert allowed.exit_code == 0


# -- confinement to the repository ------------------------------------------------------------
@needs_git
def test_files_anywhere_in_the_git_work_tree_may_be_named_but_not_beyond(repo: Path, tmp_path: Path) -> None:
    (repo / "secrets").mkdir()
    (repo / "secrets" / "token.txt").write_text("s3cr3t-token-value\n")
    (tmp_path / "outside.txt").write_text("not-for-profiles\n")
    profile = repo / "configs" / "app.toml"
    profile.write_text(
        'base_address = "https://scim.contoso.example/v2"\nsecret_token = { file = "../secrets/token.txt" }\n'
    )
    out = str(tmp_path / "out")
    inside = run_cli(["compile", "configs", "--out", out, "--reveal"], cwd=repo)
    assert inside.exit_code == 0, inside.stderr
    profile.write_text(
        'base_address = "https://scim.contoso.example/v2"\nsecret_token = { file = "../../outside.txt" }\n'
    )
    outside = run_cli(["compile", "configs", "--out", out, "--check"], cwd=repo)  # refused without --reveal too
    assert outside.exit_code == 2 and "secret_token: file ../../outside.txt leaves the repository" in outside.stderr
    allowed = run_cli(["compile", "configs", "--out", out, "--reveal", "--allow-outside", str(tmp_path)], cwd=repo)
    assert allowed.exit_code == 0, allowed.stderr
    assert "not-for-profiles" in (tmp_path / "out" / "app.json").read_text()


@needs_git
def test_a_path_that_links_out_of_the_repository_does_not_widen_it(repo: Path, tmp_path: Path) -> None:
    """`linked -> <a folder above the repository>`: the repository is still the one holding the link."""
    (tmp_path / "outside.txt").write_text("not-for-profiles\n")
    (repo / "evil").mkdir()
    (repo / "evil" / "app.toml").write_text('user_name = { file = "../../outside.txt" }\n')
    (repo / "linked").symlink_to(tmp_path)
    result = run_cli(["compile", "linked", "--out", str(tmp_path / "out"), *REVEAL], cwd=repo)
    assert result.exit_code == 2
    assert result.stderr.startswith("linked: leaves the repository")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "command", [["plan"], ["apply", "--auto-approve"], ["validate"]], ids=["plan", "apply", "validate"]
)
def test_remote_commands_confine_files_as_compile_does(tmp_path: Path, command: list[str]) -> None:
    """They resolve references to send them to Graph: a file outside is refused before anything."""
    (tmp_path / "app.toml").write_text(
        'base_address = "https://scim.contoso.example/v2"\nsecret_token = { file = "/etc/hostname" }\n'
        '[application]\nservice_principal_id = "2f9f1c9e-1b7a-4c1e-9a55-0c9e2d1f7b10"\n'
    )
    result = run_cli([*command, "app.toml"], cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith("app.toml:2:1: secret_token: file /etc/hostname leaves the repository")
