"""The offline cost of mappings per target: parse, apply and compare on a large schema.

    .venv/bin/python bench/schema.py

Builds a schema of about 0.87 MB (6 rules x 432 attribute mappings, every expression distinct)
from Microsoft's published Salesforce schema (compiler/sandbox/salesforce_schema.json), then times, per
schema: json.loads alone; parsing every expression; then json.loads of the template and of the
job's schema + apply (an empty overlay) + compare, with a cold normal-form
cache, once with the job's schema in the template's order (the usual case) and once with every
object mapping's attribute mappings reversed (the worst case: every mapping compared one by one).
What plan adds per target is the plan time minus two json.loads.
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
    template = json.loads((REPO / "compiler" / "sandbox" / "salesforce_schema.json").read_text(encoding="utf-8"))
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

    reordered = copy.deepcopy(schema)
    for rule in reordered["synchronizationRules"]:
        rule["objectMappings"][0]["attributeMappings"].reverse()
    reordered_text = json.dumps(reordered)
    overlay = {}

    def plan(job_text: str):
        def one() -> None:
            expression.normal.cache_clear()
            template, job = json.loads(text), json.loads(job_text)
            desired, named = apply(template, overlay)
            compare(desired, job, named)

        return one

    loads = per_run(repeat, lambda: json.loads(text))
    parse = per_run(repeat, lambda: [expression.parse(one) for one in expressions])
    usual = per_run(repeat, plan(text))
    worst = per_run(repeat, plan(reordered_text))
    print(f"schema: {len(text) / 1e6:.2f} MB, {len(expressions)} expressions")
    print(f"json.loads: {loads:.1f} ms; parse all: {parse:.1f} ms ({parse / len(expressions) * 1000:.1f} us each)")
    print(f"plan, job in the template's order: {usual:.1f} ms, {usual - 2 * loads:.1f} ms beyond two json.loads")
    print(f"plan, every mapping reordered: {worst:.1f} ms, {worst - 2 * loads:.1f} ms beyond two json.loads")


if __name__ == "__main__":
    main()
