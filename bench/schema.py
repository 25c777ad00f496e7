"""The offline cost of mappings per target: parse, apply and compare on a large schema.

    .venv/bin/python bench/schema.py

Builds a schema of about 0.87 MB (6 rules x 432 attribute mappings, every expression distinct)
from Microsoft's published Salesforce object mapping (tests/schema_data), then times, per
schema: json.loads alone; parsing every expression; json.loads + apply (an empty overlay) +
compare with a cold normal-form cache. What plan adds per target is the last minus the first.
"""

from __future__ import annotations

import copy
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from compiler.schema import expression  # noqa: E402
from compiler.schema.compare import compare  # noqa: E402
from compiler.schema.overlay import apply  # noqa: E402


def large_schema() -> dict:
    template = json.loads((REPO / "tests" / "schema_data" / "salesforce-schema.json").read_text(encoding="utf-8"))
    published = template["synchronizationRules"][0]["objectMappings"][0]["attributeMappings"]
    rules = []
    for number in range(6):
        rule = copy.deepcopy(template["synchronizationRules"][0])
        rule["name"] = f"RULE_{number}"
        mappings = []
        for copy_number in range(72):
            for attribute in published[:6]:
                attribute = copy.deepcopy(attribute)
                attribute["targetAttributeName"] += str(copy_number)
                if attribute["source"]:
                    source = attribute["source"]
                    source["expression"] = source["expression"].replace("]", f"{number}_{copy_number}]", 1)
                mappings.append(attribute)
        rule["objectMappings"][0]["attributeMappings"] = mappings
        rules.append(rule)
    return {**template, "synchronizationRules": rules}


def per_run(repeat: int, work) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        work()
    return (time.perf_counter() - start) / repeat * 1000


def main(repeat: int = 20) -> None:
    schema = large_schema()
    text = json.dumps(schema)
    expressions = [
        attribute["source"]["expression"]
        for rule in schema["synchronizationRules"]
        for attribute in rule["objectMappings"][0]["attributeMappings"]
        if attribute["source"]
    ]

    def plan_one() -> None:
        expression.normal.cache_clear()
        current = json.loads(text)
        desired, named = apply(current, {})
        compare(desired, current, named)

    loads = per_run(repeat, lambda: json.loads(text))
    parse = per_run(repeat, lambda: [expression.parse(one) for one in expressions])
    plan = per_run(repeat, plan_one)
    print(f"schema: {len(text) / 1e6:.2f} MB, {len(expressions)} expressions")
    print(f"json.loads: {loads:.1f} ms; parse all: {parse:.1f} ms ({parse / len(expressions) * 1000:.1f} us each)")
    print(f"json.loads + apply + compare: {plan:.1f} ms, {plan - loads:.1f} ms beyond json.loads")


if __name__ == "__main__":
    main()
