"""The README is the reference of the command line: it names every command and every option the
tool has, and its exit-code table covers every code a command returns, so neither can fall behind
the code unnoticed."""

from __future__ import annotations

import re

import pytest
import typer.main

from compiler import exits
from compiler.cli import app
from tests.helpers import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
GROUP = typer.main.get_command(app)


@pytest.mark.parametrize("name", sorted(GROUP.commands))
def test_the_readme_names_every_option_of_every_command(name: str) -> None:
    assert f"syncsecrets {name}" in README
    missing = [
        opt
        for param in GROUP.commands[name].params
        for opt in param.opts
        if opt.startswith("-") and f"`{opt}" not in README
    ]
    assert missing == [], f"README.md does not name these options of `{name}`: {missing}"


def test_the_readme_names_the_global_options() -> None:
    assert [
        opt
        for param in GROUP.params
        for opt in param.opts
        if f"`syncsecrets {opt}" not in README and f"{opt}`" not in README
    ] == []


def test_the_exit_code_table_covers_every_code() -> None:
    table = README.split("### Exit codes", 1)[1].split("\n\n", 2)[1]
    codes = {int(code) for code in re.findall(r"^\| (\d+) \|", table, flags=re.MULTILINE)}
    every = {value for name, value in vars(exits).items() if name.isupper() and isinstance(value, int)}
    assert every <= codes, f"exit codes missing from the README's table: {sorted(every - codes)}"
