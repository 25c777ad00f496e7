"""The documentation holds together: docs/cli.md is the reference of the command line (it names
every command and every option under that command's heading, and its exit-code table covers
every code), the README stays a page long and links each reference page once, every relative
link and anchor leads somewhere, and CI runs exactly the README's test command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer.main

from compiler import exits
from compiler.cli import app
from tests.helpers import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
CLI = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
GROUP = typer.main.get_command(app)
REMOTE = {"plan", "apply", "validate", "status", "restart", "provision"}
PAGES = sorted([*(REPO / "docs").glob("*.md"), REPO / "SECURITY.md", REPO / "CONTRIBUTING.md"])
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def section(text: str, heading: str) -> str:
    """The text under a `## heading`, up to the next heading of that level."""
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


@pytest.mark.parametrize("name", sorted(GROUP.commands))
def test_the_cli_reference_names_every_option_under_its_command(name: str) -> None:
    own = section(CLI, f"`syncsecrets {name}`")
    shared = section(CLI, "Remote options") if name in REMOTE else ""
    missing = [
        opt
        for param in GROUP.commands[name].params
        for opt in param.opts
        if opt.startswith("-") and f"`{opt}" not in own + shared
    ]
    assert missing == [], f"docs/cli.md does not name these options of `{name}`: {missing}"


def test_the_cli_reference_names_the_global_options() -> None:
    assert [
        opt for param in GROUP.params for opt in param.opts if f"`syncsecrets {opt}" not in CLI and f"{opt}`" not in CLI
    ] == []


def test_the_exit_code_table_covers_every_code() -> None:
    table = section(CLI, "Exit codes")
    codes = {int(code) for code in re.findall(r"^\| (\d+) \|", table, flags=re.MULTILINE)}
    every = {value for name, value in vars(exits).items() if name.isupper() and isinstance(value, int)}
    assert every <= codes, f"exit codes missing from docs/cli.md: {sorted(every - codes)}"


def test_the_readme_fits_on_a_page_and_links_each_reference_page_once() -> None:
    assert len(README.splitlines()) <= 250
    targets = [target.split("#")[0] for target in LINK.findall(README)]
    for page in PAGES:
        relative = page.relative_to(REPO).as_posix()
        assert targets.count(relative) == 1, f"README.md links {relative} {targets.count(relative)} times"


def slugs(path: Path) -> set[str]:
    """GitHub's anchors of a Markdown file's headings."""
    seen: dict[str, int] = {}
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.MULTILINE | re.DOTALL)
    for heading in re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        seen[slug] = seen.get(slug, -1) + 1
        yield slug if seen[slug] == 0 else f"{slug}-{seen[slug]}"


@pytest.mark.parametrize("page", [REPO / "README.md", *PAGES], ids=lambda page: page.name)
def test_every_relative_link_and_anchor_leads_somewhere(page: Path) -> None:
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        resolved = (page.parent / file).resolve() if file else page
        if not resolved.exists() or (anchor and resolved.suffix == ".md" and anchor not in set(slugs(resolved))):
            broken.append(target)
    assert broken == [], f"{page.name} links to what does not exist: {broken}"


def test_ci_runs_the_readmes_test_command() -> None:
    contributing = section(README, "Contributing")
    commands = re.findall(r"```sh\n(.+?)\n```", contributing)
    assert len(commands) == 2, "the README shows two set-up commands: the main job and the tests"
    assert commands[1] in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_the_docs_pin_commits_not_tags() -> None:
    """The project publishes no tag: a pin to one fails at the first step of a fresh install."""
    pins = [
        (page.name, line)
        for page in [REPO / "README.md", *PAGES]
        for line in page.read_text(encoding="utf-8").splitlines()
        if re.search(r"rev: v?\d+\.\d|@v?\d+\.\d", line)
    ]
    assert pins == []
