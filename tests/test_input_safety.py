"""Hostile input that the corpus cannot hold: pipes, git repositories, odd file names."""

from __future__ import annotations

import errno
import json
import os
import threading
import time
from pathlib import Path

import pytest

from compiler.source import read_all
from tests.helpers import run_cli

REVEAL = ["--reveal", "--allow-unignored-output"]


def _feed(fifo: Path, data: bytes) -> None:
    """Writes `data` into `fifo` once something opens it for reading (gives up after 5 s)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
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
    feeder = threading.Thread(target=_feed, args=(tmp_path / "token.fifo", b"wrong-credential\n"), daemon=True)
    feeder.start()
    result = run_cli(["compile", "profile.toml", "--out", "out", *REVEAL], cwd=tmp_path)
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
    (configs / f"app{FORGED}{TERMINAL}\u2028.toml").write_text(
        "sync_notification_settings = '{\"Enabled\": true, \"x\\n::error::forged\\u001b[2J\": 1}'\n"
    )
    compiled = run_cli(["compile", "configs", "--out", "out", "--format", fmt], cwd=tmp_path)
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
    (tmp_path / "configs" / "scim-renamed.toml").write_text(f'base_address = "https://attacker.example/"\n{token}{application}')
    renamed = run_cli(["compile", "configs", "--out", "build", "--check"], cwd=tmp_path)
    assert renamed.exit_code == 1
    assert (
        "  ! warning: BaseAddress host changes from scim.good.example to attacker.example while SecretToken keeps "
        "the same secret: the credential will be sent to attacker.example; make sure that is intended (compared "
        "with build/scim.json, the last output for this service principal)\n"
    ) in renamed.stdout
