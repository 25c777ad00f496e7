"""The expression parser held to Microsoft's published expressions and parse answers (tests/expressions)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler.catalog.functions import FUNCTIONS, function
from compiler.catalog.operators import OPERATORS, UNARY, operator
from compiler.schema.expression import ExpressionError, Unbuildable, normal, parse, render, source_of

HERE = Path(__file__).parent / "expressions"
VALID = [
    pytest.param(line, id=f"{path.stem}:{number}")
    for path in sorted((HERE / "valid").glob("*.txt"))
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
    if line.strip()
]
INVALID = sorted((HERE / "invalid").glob("*.txt"))
TREES = sorted((HERE / "trees").glob("*.json"))
SALESFORCE = Path(__file__).parent / "schema_data" / "salesforce-user-objectmapping.json"


@pytest.mark.parametrize("text", VALID)
def test_every_published_expression_parses_and_its_normal_form_is_a_fixed_point(text: str) -> None:
    once = render(parse(text))
    assert render(parse(once)) == once


@pytest.mark.parametrize("path", INVALID, ids=lambda path: path.stem)
def test_invalid_expressions_say_what_and_where(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert str(caught.value) == path.with_suffix(".expected").read_text(encoding="utf-8").rstrip("\n")


@pytest.mark.parametrize("path", TREES, ids=lambda path: path.stem)
def test_the_local_builder_reproduces_graphs_published_parse_answers(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    assert source_of(case["expression"]) == case["parsedExpression"]


def test_the_local_builder_reproduces_the_source_trees_of_the_published_salesforce_mapping() -> None:
    mapping = json.loads(SALESFORCE.read_text(encoding="utf-8"))
    sources = [m["source"] for m in mapping["attributeMappings"] if m["source"]]
    assert len(sources) == 8
    for source in sources:
        assert source_of(source["expression"]) == source


def test_normal_form_ignores_whitespace_outside_strings_only() -> None:
    assert normal('Join( " ",[givenName] ,  [surname] )') == 'Join(" ", [givenName], [surname])'
    assert normal('Join("  ", [a], [b])') != normal('Join(" ", [a], [b])')
    assert normal('switch([a], , "1", "2")') == 'Switch([a], , "1", "2")'
    # what this parser does not know is compared with whitespace collapsed, never an error
    assert normal('Unknown( [a],\n "x  y" )') == 'Unknown( [a], "x  y" )'


def test_escapes_in_strings_follow_microsofts_rule() -> None:
    tree = parse(r'Append([a], "Company name: \"Contoso\" \\ done")')
    assert tree.arguments[1].value == 'Company name: "Contoso" \\ done'
    assert source_of(r'Append([a], "say \"hi\"")')["parameters"][1]["value"]["name"] == 'say "hi"'


def test_job_setting_placeholders_and_comparisons_parse_but_comparisons_need_graphs_tree() -> None:
    assert render(parse('Join("@", [mailNickname], %DomainName%)')) == 'Join("@", [mailNickname], %DomainName%)'
    with pytest.raises(Unbuildable):
        source_of('IIF([country]="USA", [country], [department])')


def test_the_function_catalog_is_listed_once_and_checks_counts() -> None:
    assert len(FUNCTIONS) == len({name.lower() for name in FUNCTIONS})
    assert function("cstr").name == "CStr" and function("GUID").name == "Guid"
    assert function("Switch").accepts(4) and not function("Switch").accepts(5)
    assert function("Replace").accepts(7) and not function("Replace").accepts(8)
    assert function("Join").most is None and function("SelectUniqueValue").required == 2


def test_the_operator_catalog_takes_graphs_and_friendly_spellings() -> None:
    assert operator("GREATER_THAN") == "Greater_Than" == operator("greater than")
    assert operator("not_equals") == "NOT EQUALS"
    assert operator("IS_TRUE") == "IS TRUE" and OPERATORS["IS TRUE"] == UNARY
    assert operator("CONTAINS") is None


def test_the_mappings_page_lists_every_function_and_operator() -> None:
    page = (Path(__file__).parent.parent / "docs" / "mappings.md").read_text(encoding="utf-8")
    for name, known in FUNCTIONS.items():
        assert f"| `{name}` | {known.arity()} |" in page, f"docs/mappings.md: add {name}"
    for name in OPERATORS:
        assert f"| `{name}` |" in page, f"docs/mappings.md: add {name}"
