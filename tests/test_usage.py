"""The command line as a newcomer meets it: the README's quick start runs as written, every
command's --help ends with examples that parse, every usage error has the shape of every other
error, --quiet prints one line per problem, and the hint of a failed --check names the command
that makes it pass."""

from __future__ import annotations

import re
import shlex
import signal
import subprocess
from pathlib import Path

import pytest
import typer.main

from compiler.cli import app
from tests.helpers import REPO, run_cli, run_process, start_sandbox
from tests.test_readme import README, section

GROUP = typer.main.get_command(app)


def quick_start_steps() -> list[tuple[str, str]]:
    """The quick start's code blocks in order, as (language, text)."""
    return re.findall(r"```(\w+)\n(.*?)```", section(README, "Quick start"), flags=re.DOTALL)


def test_the_readmes_quick_start_runs_as_written(tmp_path: Path, monkeypatch) -> None:
    # The README's plan and apply run against the sandbox it starts, through the variables it
    # prints, as a reader who pasted them; apply asks, as on a terminal.
    monkeypatch.setattr("compiler.commands.apply.is_terminal", lambda: True)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    env: dict[str, str] = {}
    profile = tmp_path / "configs" / "contoso-hr.toml"
    ran, sandbox = [], None
    try:
        for language, text in quick_start_steps():
            if language == "toml":  # "replace its REPLACE ME values": each line names the key it fills in
                lines = profile.read_text().splitlines()
                for given in text.splitlines():
                    key = given.split("=")[0].strip()
                    [at] = [number for number, line in enumerate(lines) if line.startswith(f"{key} = ")]
                    assert "REPLACE ME" in lines[at]
                    lines[at] = given
                profile.write_text("\n".join(lines) + "\n")
                continue
            for line in text.splitlines():
                words = shlex.split(line, comments=True)
                if words[0] == "export":
                    name, _, value = words[1].partition("=")
                    env[name] = value
                    continue
                assert words[0] == "syncsecrets"
                ran.append(words[1])
                if words[1] == "sandbox":  # long-running, in "a second terminal": its exports are pasted
                    sandbox, exports = start_sandbox(words[2:], cwd=tmp_path)
                    assert len(exports) == 3, sandbox.stderr.read() if sandbox.poll() is not None else exports
                    env.update(exports)
                    continue
                result = run_cli(words[1:], cwd=tmp_path, env=env, input="y\n")
                assert result.exit_code == 0, (line, result.stdout, result.stderr)
        assert ran == ["init", "compile", "sandbox", "plan", "apply"]
        assert (tmp_path / "build" / "contoso-hr.json").is_file()
        in_sync = run_cli(["plan", "--check"], cwd=tmp_path, env=env)
        assert in_sync.exit_code == 0, in_sync.stdout
        # Then the paragraph below the blocks: [job] in the profile, the same apply, and the
        # commands it names inline, with a user's object id for OBJECT_ID.
        profile.write_text(profile.read_text() + '\n[job]\ntemplate_id = "scim"\n')
        with_job = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
        assert with_job.exit_code == 0 and '> job: "NotConfigured" -> "active"' in with_job.stdout, with_job.stdout
        inline = re.findall(r"`syncsecrets ([a-z][^`]*)`", section(README, "Quick start"))
        assert inline == ["status", "provision --subject OBJECT_ID"]
        for command in inline:
            words = shlex.split(command.replace("OBJECT_ID", "9bb0f679-a883-4a6f-8260-35b491b8b8c8"))
            result = run_cli(words, cwd=tmp_path, env=env)
            assert result.exit_code == 0, (command, result.stdout, result.stderr)
        sandbox.send_signal(signal.SIGINT)  # Ctrl-C in the second terminal
        assert sandbox.wait(timeout=30) == 0
    finally:
        if sandbox is not None and sandbox.poll() is None:
            sandbox.kill()
        if sandbox is not None:
            sandbox.communicate()


@pytest.mark.parametrize("name", sorted(GROUP.commands))
def test_every_help_ends_with_examples_that_parse(name: str) -> None:
    command = GROUP.commands[name]
    help_text = run_cli([name, "--help"], cwd=REPO).stdout
    examples = help_text.split("Examples:\n", 1)[1].splitlines()
    assert examples, f"`syncsecrets {name} --help` shows no example"
    for example in examples:
        words = shlex.split(example, comments=True)
        assert words[:2] == ["syncsecrets", name]
        # Parsing only (resilient: no callback runs): an option the command lacks fails here.
        command.make_context(name, words[2:], resilient_parsing=True)


def test_the_bare_help_ends_with_the_quick_start_in_examples_that_parse() -> None:
    help_text = run_cli(["--help"], cwd=REPO).stdout
    examples = [shlex.split(line, comments=True) for line in help_text.split("Examples:\n", 1)[1].splitlines()]
    assert [words[1] for words in examples] == ["init", "compile", "sandbox", "plan", "apply"]
    for words in examples:
        GROUP.commands[words[1]].make_context(words[1], words[2:], resilient_parsing=True)


@pytest.mark.parametrize(
    ("args", "first"),
    [
        (
            ["plan", "--env", "a", "--env", "b"],
            "plan: Invalid value for '--env': one environment per run (one run "
            "talks to one tenant), not a, b: run once per environment; `syncsecrets plan --help` shows how to call it",
        ),
        (["compile", "--bogus"], "compile: No such option: --bogus"),
        (
            ["complie"],
            "syncsecrets: No such command 'complie'. Did you mean 'compile'? `syncsecrets --help` shows how to call it",
        ),
        (
            ["compile", "--diff", "colour"],
            "compile: Invalid value for '--diff': 'colour' is not one of 'semantic', "
            "'unified', 'none'; `syncsecrets compile --help` shows how to call it",
        ),
        (["compile", "--jobs", "0"], "compile: Invalid value for '--jobs' / '-j': 0 is not in the range x>=1"),
        (["init"], "init: Missing argument 'NAME'; `syncsecrets init --help` shows how to call it"),
        (
            ["no-such-command"],
            "syncsecrets: No such command 'no-such-command'; `syncsecrets --help` shows how to call it",
        ),
        (["import"], "import: give a FILE (or - for standard input), or --from-tenant"),
    ],
)
def test_every_usage_error_has_the_shape_of_every_other_error(tmp_path: Path, args: list[str], first: str) -> None:
    result = run_process(args, cwd=tmp_path)
    lines = result.stderr.splitlines()
    assert result.returncode == 2
    assert len(lines) == 2 and lines[0].startswith(first), result.stderr
    assert lines[1] == "syncsecrets: 1 error; nothing was written"
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_quiet_prints_one_line_per_warning(tmp_path: Path) -> None:
    configs = tmp_path / "configs"
    configs.mkdir()
    for number in range(30):
        (configs / f"app{number:02}.toml").write_text('base_address = "https://old.example/v2"\nsync_all = true\n')
    assert run_process(["compile"], cwd=tmp_path).returncode == 0
    for profile in configs.iterdir():
        profile.write_text('base_address = "https://old.example/v2"\n')
    result = run_process(["compile", "--check", "-q"], cwd=tmp_path)
    lines = result.stdout.splitlines()
    assert result.returncode == 1
    assert len(lines) == 31
    assert lines[0] == (
        "build/app00.json: warning: SyncAll is removed from the body: a PUT that omits a key may leave it on "
        "the tenant; `syncsecrets apply` clears it"
    )
    assert lines[-1].startswith("Checked 30 profiles against build/: 0 new, 30 changed")


def test_remote_quiet_prints_one_line_per_problem(tmp_path: Path, graph, graph_env) -> None:
    configs = tmp_path / "configs"
    configs.mkdir()
    sps = ["2f9f1c9e-1b7a-4c1e-9a55-0c9e2d1f7b10", "6b3f9d2e-8a71-4c55-b0e4-19d2c7a8f310"]
    for number, sp in enumerate(sps):
        (configs / f"app{number}.toml").write_text(
            'base_address = "https://new.example/v2"\nsecret_token = { env = "APP_TOKEN" }\n'
            f'[application]\nservice_principal_id = "{sp}"\n'
        )
    graph.add_principal(sps[0], {"BaseAddress": "https://old.example/v2", "SecretToken": "*"})  # the second: absent
    result = run_cli(["plan", "-q"], cwd=tmp_path, env={**graph_env(), "APP_TOKEN": "canary-token-4d1c"})
    lines = result.stdout.splitlines()
    assert result.exit_code == 4
    assert len(lines) == 3, result.stdout
    assert lines[0].startswith(f"configs/app0.toml -> {sps[0]}: warning: BaseAddress host changes from old.example")
    assert lines[1].startswith(f"configs/app1.toml -> {sps[1]}: failed: ")
    assert lines[2].startswith("Plan: 2 service principals: ")


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        ([], "syncsecrets compile --prune"),
        (["profiles", "--out", "out dir"], "syncsecrets compile profiles --out 'out dir' --prune"),
        (["--env", "prod"], "syncsecrets compile --env prod --prune"),
    ],
)
def test_the_hint_of_a_failed_check_is_the_command_that_makes_it_pass(
    tmp_path: Path, args: list[str], hint: str
) -> None:
    configs = tmp_path / ("profiles" if "profiles" in args else "configs")
    configs.mkdir()
    for name in ("kept", "deleted"):
        (configs / f"{name}.toml").write_text('user_name = "svc"\n[environments.prod]\nuser_name = "prod"\n')
    assert run_process(["compile", *args], cwd=tmp_path).returncode == 0
    (configs / "deleted.toml").unlink()
    check = run_process(["compile", "--check", *args], cwd=tmp_path)
    assert check.returncode == 1
    assert check.stdout.splitlines()[-1].endswith(f"; run `{hint}` to update")
    assert run_process(shlex.split(hint)[1:], cwd=tmp_path).returncode == 0
    assert run_process(["compile", "--check", *args], cwd=tmp_path).returncode == 0
