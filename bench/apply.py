"""How close do `apply` and `plan` come to the latency bound, against a slow Graph?

Starts the loopback fakes of tests/fakes (HTTPS, a token authority, Graph with `--latency`
seconds added to every answer) in this process, writes `--targets` profiles, and times the real
command (`python -m compiler`, a separate process):

1. `apply --auto-approve` of every target, each out of sync (a GET to plan, one PUT, one GET to
   confirm: three requests per target);
2. `plan` of the same targets, now in sync (one GET each);
3. `apply --auto-approve` again, every target out of sync again, against a Graph that throttles:
   at most `--rate` requests per second (a token bucket; 429 with Retry-After beyond it).

`--mappings MB`: every profile also has `[mappings.User]` (one attribute changed), every job a
schema of about MB megabytes (its template's: the generic SCIM schema with object mappings and
directory attributes added), and only `plan` is timed: per target it reads the secrets, the
jobs, the templates, the template's schema and the job's schema, and compares them. Each run
also prints the command's CPU time per target and the machine's load.

With `--job`, every profile has `[job] template_id = "scim"` and every service principal a
paused job of it: apply reads the jobs too and starts each job after its PUT (five requests per
target: GET secrets, GET jobs, PUT, GET, POST start), and plan reads the secrets and the jobs
(two).

The ideal of 1 and 2 is requests x latency / jobs: what any client holding `--jobs` requests in
flight must wait; of 3, the rate bound: requests answered / rate (the 429s not counted). The
ratio is wall time / ideal (target <= 1.3); any failed target fails the benchmark. Needs the
test extras (trustme).

    .venv/bin/python bench/apply.py                       # 500 targets, 50 ms, --jobs 4, 60 rps
    .venv/bin/python bench/apply.py --targets 100 --latency 0.02 --rate 30
    .venv/bin/python bench/apply.py --job                 # with [job]: each target's job started
    .venv/bin/python bench/apply.py --mappings 1          # 500 targets, 1 MB schemas, plan
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from compiler.sandbox.graph import FakeGraph  # noqa: E402
from compiler.sandbox.server import LoopbackServer  # noqa: E402
from tests.fakes.authority import FakeAuthority  # noqa: E402
from tests.fakes.tls import make_tls  # noqa: E402

TENANT = "11111111-1111-4111-8111-111111111111"
TARGET_RATIO = 1.3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--job", action="store_true", help="profiles with [job]; each paused job is started")
    parser.add_argument("--rate", type=float, default=60.0, help="requests per second of the throttling Graph")
    parser.add_argument("--mappings", type=float, default=0, metavar="MB", help="schemas of MB megabytes; plan only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="syncsecrets-bench-apply-") as folder:
        work = Path(folder)
        tls = make_tls(work)
        authority = FakeAuthority()
        authority_server = LoopbackServer(authority, tls.server_context())
        authority.host = authority_server.url
        graph = FakeGraph(authority)
        graph_server = LoopbackServer(graph, tls.server_context())
        graph.url = graph_server.url
        authority.add_audience(graph.url)
        try:
            env = _environment(authority, graph, tls.ca_file)
            _profiles(work, graph, args.targets, args.job, args.mappings)
            graph.latency = args.latency
            print(
                f"{args.targets} targets, {args.latency * 1000:g} ms per request, --jobs {args.jobs}, "
                f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"
            )
            print(f"command: {sys.executable} -m compiler <apply --auto-approve|plan> --jobs {args.jobs} (in {work})")
            failed = False
            runs = (
                ("apply (out of sync)", ["apply", "--auto-approve"], None),
                ("plan (in sync)", ["plan"], None),
                (f"apply ({args.rate:g} rps limit)", ["apply", "--auto-approve"], args.rate),
            )
            if args.mappings:
                runs = ((f"plan ({args.mappings:g} MB schemas)", ["plan"], None),)
            for label, command, rate in runs:
                if rate is not None:
                    _out_of_sync(graph, args.targets, args.job)
                    graph.limit_rate(rate)
                before = len(graph.journal)
                cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
                elapsed = _timed(
                    [sys.executable, "-m", "compiler", *command, "--jobs", str(args.jobs), "--quiet"], work, env
                )
                records = graph.journal[before:]
                requests = sum(record.status != 429 for record in records)
                ideal = requests * args.latency / args.jobs if rate is None else requests / rate
                ratio = elapsed / ideal
                verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
                failed |= verdict == "FAIL"
                throttled = f", {len(records) - requests} answered 429" if rate is not None else ""
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                used = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
                print(
                    f"{label:22} {elapsed:7.2f} s for {requests} requests{throttled}; ideal {ideal:6.2f} s; "
                    f"ratio {ratio:.2f} (target <= {TARGET_RATIO}) {verdict}; the command's CPU {used:.2f} s "
                    f"({used / args.targets * 1000:.0f} ms per target), load average {os.getloadavg()[0]:.1f}"
                )
        finally:
            graph_server.stop()
            authority_server.stop()
    return 1 if failed else 0


def _environment(authority: FakeAuthority, graph: FakeGraph, ca_file: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SYNCSECRETS")}
    env.update(
        SYNCSECRETS_GRAPH_URL=graph.url,
        SSL_CERT_FILE=str(ca_file),
        REQUESTS_CA_BUNDLE=str(ca_file),
        AZURE_AUTHORITY_HOST=authority.host,
        SYNCSECRETS_AUTH="token",
        SYNCSECRETS_ACCESS_TOKEN=authority.issue_token(TENANT, audience=graph.url, expires_in=3600),
        BENCH_TOKEN="bench-secret-value",
        PYTHONPATH=str(REPO),
    )
    return env


def _profiles(work: Path, graph: FakeGraph, count: int, job: bool = False, megabytes: float = 0) -> None:
    configs = work / "configs"
    configs.mkdir()
    mappings = '[mappings.User]\nexternalId = "[objectId]"\n' if megabytes else ""
    for index in range(count):
        (configs / f"app-{index:04d}.toml").write_text(
            'base_address = "https://scim.contoso.example/v2"\nsecret_token = { env = "BENCH_TOKEN" }\n'
            f'sync_all = false\n[application]\nservice_principal_id = "{_principal(index)}"\n'
            + ('[job]\ntemplate_id = "scim"\n' if job else "")
            + mappings
        )
    _out_of_sync(graph, count, job)
    if megabytes:
        graph.schemas.templates["scim"] = large_schema(megabytes)
        if not job:
            for index in range(count):
                graph.add_job(_principal(index), f"scim.{index:032x}.{_principal(index)}", "scim")


def large_schema(megabytes: float) -> dict:
    """The sandbox's generic SCIM template grown to about `megabytes`: copies of its User object
    mapping for other target objects (distinct expressions) and extension attributes."""
    import copy
    import json

    from compiler.sandbox.schemas import template_schema

    schema = template_schema("scim")
    rule = schema["synchronizationRules"][0]
    user = rule["objectMappings"][0]
    number = 0
    while len(json.dumps(schema)) < megabytes * 1_000_000:
        extra = copy.deepcopy(user)
        extra["targetObjectName"] = f"urn:contoso:scim:Extra{number}"
        for attribute in extra["attributeMappings"]:
            if attribute["source"]:
                attribute["source"]["expression"] = attribute["source"]["expression"].replace("]", f"{number}]", 1)
        rule["objectMappings"].append(extra)
        schema["directories"][0]["objects"][0]["attributes"].append(
            {"name": f"extension_{number:032x}_attr", "type": "String"}
        )
        number += 1
    return schema


def _out_of_sync(graph: FakeGraph, count: int, job: bool = False) -> None:
    for index in range(count):
        principal = _principal(index)
        graph.add_principal(principal, {"BaseAddress": "https://old.contoso.example/v2", "SyncAll": "True"})
        if job:  # paused: apply starts it
            graph.add_job(principal, f"scim.{index:032x}.{principal}", "scim", "Paused")


def _principal(index: int) -> str:
    return f"00000000-0000-4000-8000-{index:012d}"


def _timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(
            f"{command[3]} failed with exit {result.returncode} (a target failed):\n{result.stdout}{result.stderr}"
        )
    return elapsed


if __name__ == "__main__":
    sys.exit(main())
