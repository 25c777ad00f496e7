"""The pre-commit hooks of .pre-commit-hooks.yaml, used by a config repository through
`pre-commit try-repo`: pre-commit builds syncsecrets from this repository and installs it into an
environment of its own. Its dependencies come from this test environment (on PYTHONPATH), not
from a package index: the suite touches no network, and waits for no download."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.helpers import REPO

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git"),
]


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def installed_dependencies(folder: Path) -> Path:
    """`folder`, holding links to what this environment has installed (hatchling and the
    dependencies of syncsecrets among them), less syncsecrets itself and pip's own tools, which
    the hook's environment has. Start-up hooks (`.pth` files) are left out: only imports count."""
    folder.mkdir()
    site = Path(sysconfig.get_paths()["purelib"])
    own = ("syncsecrets", "_editable_impl", "__editable__", "pip", "setuptools", "_distutils_hack", "pkg_resources")
    for entry in site.iterdir():
        if entry.suffix != ".pth" and not entry.name.startswith(own) and entry.name != "__pycache__":
            (folder / entry.name).symlink_to(entry)
    return folder


def hook_env(home: Path, dependencies: Path) -> dict[str, str]:
    """pre-commit's environment: its own home, and pip installing from `dependencies` only
    (PIP_NO_BUILD_ISOLATION=0 turns build isolation off: hatchling comes from there too)."""
    return {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        "NO_COLOR": "1",
        "PYTHONPATH": str(dependencies),
        "PIP_NO_INDEX": "1",
        "PIP_NO_BUILD_ISOLATION": "0",
    }


def try_repo(hook: str, cwd: Path, home: Path, dependencies: Path) -> subprocess.CompletedProcess:
    env = hook_env(home, dependencies)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(REPO), hook, "--all-files", "--color", "never"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_config_repository_uses_the_hooks(tmp_path: Path) -> None:
    repo, home = tmp_path / "config-repo", tmp_path / "pre-commit-home"
    dependencies = installed_dependencies(tmp_path / "dependencies")
    (repo / "configs").mkdir(parents=True)
    (repo / "configs" / "app.toml").write_text('base_address = "https://scim.contoso.example/v2"\n')
    git("init", "-q", cwd=repo)
    git("config", "user.email", "test@example.com", cwd=repo)
    git("config", "user.name", "test", cwd=repo)
    git("add", "-A", cwd=repo)  # pre-commit looks at the files git knows

    # The compile hook writes build/app.json (and stages nothing: pre-commit sees a new file).
    compiled = try_repo("syncsecrets-compile", repo, home, dependencies)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    assert (repo / "build" / "app.json").exists()
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "profiles and outputs", cwd=repo)

    checked = try_repo("syncsecrets-check", repo, home, dependencies)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Passed" in checked.stdout

    # A profile edited without compiling: the check fails and shows the diff.
    (repo / "configs" / "app.toml").write_text('base_address = "https://scim.contoso.example/v3"\n')
    git("commit", "-qam", "edit", cwd=repo)
    failed = try_repo("syncsecrets-check", repo, home, dependencies)
    assert failed.returncode == 1
    assert "Failed" in failed.stdout
    assert '~ BaseAddress: "https://scim.contoso.example/v2" -> "https://scim.contoso.example/v3"' in failed.stdout


def test_the_readmes_pre_commit_config_pinned_to_a_commit(tmp_path: Path) -> None:
    """The README's snippet as a user fills it in: this repository as `repo`, a full sha as `rev`."""
    import re

    from tests.test_readme import README, section

    [snippet] = re.findall(r"```yaml\n(.*?)```", section(README, "pre-commit"), flags=re.DOTALL)
    sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    config = re.sub(r"(repo: )\S+", rf"\g<1>{REPO}", snippet)
    config = re.sub(r"(rev: )[0-9a-f]{40}", rf"\g<1>{sha.strip()}", config)
    assert str(REPO) in config and sha.strip() in config
    repo = tmp_path / "config-repo"
    (repo / "configs").mkdir(parents=True)
    (repo / "configs" / "app.toml").write_text('base_address = "https://scim.contoso.example/v2"\n')
    (repo / ".pre-commit-config.yaml").write_text(config)
    git("init", "-q", cwd=repo)
    git("add", "-A", cwd=repo)
    env = hook_env(tmp_path / "home", installed_dependencies(tmp_path / "dependencies"))
    run = [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"]
    failed = subprocess.run(run, cwd=repo, env=env, capture_output=True, text=True, check=False)
    assert failed.returncode == 1, failed.stdout + failed.stderr  # no build/ yet: the check fails
    assert "run `syncsecrets compile` to update" in failed.stdout
