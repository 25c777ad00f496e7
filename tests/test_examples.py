"""Golden outputs of the example profiles in configs/ (the README's first command compiles them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import REPO, run_cli, tree

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize(
    ("name", "args"),
    [("base", []), ("environments", ["--env", "test", "--env", "prod"])],
)
def test_examples_compile_to_their_golden_outputs(tmp_path: Path, name: str, args: list[str]) -> None:
    result = run_cli(["compile", "configs", "--out", str(tmp_path / "out"), *args], cwd=REPO, env={})
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert tree(tmp_path / "out") == tree(GOLDEN / name)


def test_examples_show_each_documented_kind_of_application() -> None:
    templates = {path.stem: path.read_text() for path in (REPO / "configs").glob("*.toml")}
    used = "\n".join(templates.values())
    for kind in ("scim", "scim-oauth2", "cross-tenant", "workday"):
        assert f'template = "{kind}"' in used
    assert any(name.startswith("_") for name in templates), "a shared partial"
    assert "[environments.test" in used, "a two-tenant application"
