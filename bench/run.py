"""The benchmark: syncsecrets against the floor (bench/floor.py), as ratios measured in one run.

    python bench/run.py [--profiles 10000] [--repeat 5] [--sizes 1000,10000,50000] [--quick]

Run it with the Python that has syncsecrets installed (the tool is the console script beside
that interpreter, else `python -m compiler`). Every measured command is its own process, timed
from start to exit with perf_counter; the two commands of a comparison run alternately
(floor, tool, floor, tool, ...) so that drift on the machine hits both alike, and each is run
once untimed first (warm caches, and a check that the run succeeds). See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import pty
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

from generate import generate, touch  # bench/ is on sys.path: this file is run as a script

BENCH = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(os.path.dirname(sys.executable), "syncsecrets")
# What users run: the console script. Fall back to the module for an interpreter without it.
TOOL = [SCRIPT] if os.access(SCRIPT, os.X_OK) else [sys.executable, "-m", "compiler"]
FLOOR = [sys.executable, os.path.join(BENCH, "floor.py")]
TYPER = [sys.executable, "-c", "import typer"]
ENV = dict(os.environ)  # one environment for every command


@dataclass
class Run:
    seconds: float
    cpu: float  # user + system seconds of the process and its children
    maxrss_mb: float  # ru_maxrss of the process and its waited-for descendants: the largest one


def measure(command: list[str], cwd: str, expect: str = "", terminal: bool = False) -> Run:
    """Runs `command` once, its stdout a file (or a terminal); exits the benchmark if it fails
    or its output lacks `expect`."""
    os.sync()  # so that writeback of the previous run's files is not charged to this one
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        screen, tty = pty.openpty() if terminal else (None, None)
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=ENV, stdout=tty if terminal else out, stderr=err)
        # wait4, not wait: it also returns the child's resource usage, peak memory included.
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if terminal:  # a few lines: they wait in the terminal's buffer
            os.close(tty)
            out.write(_drain(screen).replace("\r\n", "\n"))
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0 or stderr or expect not in stdout:
        sys.exit(
            f"bench: {shlex.join(command)} (in {cwd}) exited {process.returncode}, expected output "
            f"{expect!r}\n--- stdout (end)\n{stdout[-2000:]}\n--- stderr (start)\n{stderr[:2000]}"
        )
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def _drain(screen: int) -> str:
    chunks = []
    os.set_blocking(screen, False)
    while True:
        try:
            chunk = os.read(screen, 65536)
        except (BlockingIOError, OSError):  # nothing more, or EIO once the terminal is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(screen)
    return b"".join(chunks).decode(errors="replace")


def alternate(rounds: int, cwd: str, jobs: list[tuple], terminal: bool = False) -> list[list[Run]]:
    """`rounds` rounds of the jobs in order; a job is (command, prepare(round) or None, expect);
    `terminal`: every command's stdout is a terminal."""
    for command, prepare, expect in jobs:  # untimed warm-up, which also checks the commands work
        if prepare:
            prepare(-1)
        measure(command, cwd, expect, terminal)
    runs: list[list[Run]] = [[] for _ in jobs]
    for round_ in range(rounds):
        for index, (command, prepare, expect) in enumerate(jobs):
            if prepare:
                prepare(round_)
            runs[index].append(measure(command, cwd, expect, terminal))
    return runs


def median(runs: list[Run], what: str = "seconds") -> float:
    return statistics.median(getattr(run, what) for run in runs)


def seconds(runs: list[Run]) -> str:
    low, high = min(run.seconds for run in runs), max(run.seconds for run in runs)
    return f"{median(runs):.3f} s ({low:.3f}-{high:.3f})"


def json_files(folder: str) -> int:
    count = 0
    for _, dirs, files in os.walk(folder):
        dirs[:] = [name for name in dirs if not name.startswith(".")]
        count += sum(name.endswith(".json") for name in files)
    return count


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


class Workspace:
    """One generated repository of `size` profiles, with the floor's and the tool's output folders."""

    def __init__(self, root: str, size: int):
        self.size, self.cwd = size, os.path.join(root, f"n{size}")
        self.paths = generate(os.path.join(self.cwd, "profiles"), size)
        self.floor = [*FLOOR, "profiles", "out-floor"]
        self.tool = [*TOOL, "compile", "profiles", "--out", "out-tool"]

    def empty(self, folder: str):
        return lambda _round: shutil.rmtree(os.path.join(self.cwd, folder), ignore_errors=True)

    def summary(self, counts: str) -> str:
        return f"Compiled {self.size} profiles into out-tool/: {counts}"


def peak_tree_pss_mb(command: list[str], cwd: str) -> float:
    """Peak of the summed PSS of a command's whole process tree, sampled every 10 ms.

    ru_maxrss only gives the largest single process; PSS splits each shared page between the
    processes that share it, so the sum is what the tree really holds, whatever it starts.
    """
    process = subprocess.Popen(command, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak, done = 0, threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.01):
            peak = max(peak, sum(_pss_kb(pid) for pid in _tree(process.pid)))

    sampler = threading.Thread(target=sample)
    sampler.start()
    process.wait()
    done.set()
    sampler.join()
    if process.returncode != 0:
        sys.exit(f"bench: {shlex.join(command)} exited {process.returncode}")
    return peak / 1024


def _tree(root: int) -> set[int]:
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as handle:
                    parents[int(name)] = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue  # exited while we looked
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        tree.update(children)
        frontier += children
    return tree


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            return next((int(line.split()[1]) for line in handle if line.startswith("Pss:")), 0)
    except OSError:
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(description="syncsecrets against the floor script, as ratios.")
    parser.add_argument("--profiles", type=int, default=10_000, help="profiles for scenarios 1-3 (default 10000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each command (default 5)")
    parser.add_argument("--check-repeat", type=int, default=20, help="timed runs for the short --check (default 20)")
    parser.add_argument("--sizes", default="1000,10000,50000", help="sizes for the growth and memory scenarios")
    parser.add_argument("--quick", action="store_true", help="smoke run: 500 profiles, 2 runs, sizes 200,1000")
    parser.add_argument("--workdir", help="keep the generated files here (default: a temporary folder, removed)")
    args = parser.parse_args()
    if args.quick:
        args.profiles, args.repeat, args.check_repeat, args.sizes = 500, 2, 6, "200,1000"
    sizes = sorted({int(size) for size in args.sizes.split(",")})
    root = args.workdir or default_root(args.profiles + sum(sizes))
    os.makedirs(root, exist_ok=True)
    # Measure the steady state of an installed tool: bytecode cached (pip compiles it at install).
    # Some environments set PYTHONDONTWRITEBYTECODE, and an editable install then recompiles
    # every module of the package on every run; a cache in the work folder keeps the repo clean.
    ENV.pop("PYTHONDONTWRITEBYTECODE", None)
    ENV["PYTHONPYCACHEPREFIX"] = os.path.join(root, "pycache")
    bench = Bench(args, sizes, root)
    try:
        bench.header()
        bench.table()
        bench.growth()
        bench.memory()
        bench.summary()
    finally:
        if not args.workdir:
            shutil.rmtree(root, ignore_errors=True)


def default_root(profiles: int) -> str:
    """A folder in memory (tmpfs) when there is room: the benchmark is about the tool's work, and
    a shared disk adds noise to both sides that swamps it. A small file takes a 4 KB page there,
    and each profile has three (the profile and two outputs)."""
    shm = "/dev/shm"
    if os.access(shm, os.W_OK) and shutil.disk_usage(shm).free > 2 * 16_384 * profiles:
        return tempfile.mkdtemp(prefix="syncsecrets-bench-", dir=shm)
    return tempfile.mkdtemp(prefix="syncsecrets-bench-")


class Bench:
    """The scenarios, in the order they run; each adds its rows and its pass/fail checks."""

    def __init__(self, args, sizes: list[int], root: str):
        self.args, self.sizes, self.root = args, sizes, root
        self.spaces: dict[int, Workspace] = {}
        self.full_runs: dict[int, list[list[Run]]] = {}
        self.checks: list[tuple[str, bool]] = []

    def space(self, size: int) -> Workspace:
        if size not in self.spaces:
            self.spaces[size] = Workspace(self.root, size)
        return self.spaces[size]

    def header(self) -> None:
        version = subprocess.run([*TOOL, "--version"], capture_output=True, text=True, env=ENV).stdout.strip()
        print(
            f"machine: {os.cpu_count()} cores (nproc), {platform.machine()}, {platform.system()} {platform.release()}"
        )
        print(f"python:  {sys.version.split()[0]} ({sys.executable}); {version}")
        print(f"run:     {shlex.join([sys.executable, *sys.argv])}")
        print(f"floor:   {shlex.join(FLOOR)} profiles out-floor")
        print(f"tool:    {shlex.join(TOOL)} compile profiles --out out-tool    (--check for scenario 4)")
        print("stdout:  a file, but for the second row of scenario 4: a terminal (a pty)")
        print(f"typer:   {shlex.join(TYPER)}")
        print(f"folder:  {self.root}/n<profiles> (the cwd of every command; profiles in profiles/)")
        print(f"env:     the caller's, PYTHONDONTWRITEBYTECODE unset, PYTHONPYCACHEPREFIX={ENV['PYTHONPYCACHEPREFIX']}")
        print(
            f"each command is its own process; medians of {self.args.repeat} alternating runs "
            f"({self.args.check_repeat} for scenario 4) after one untimed warm-up, (min-max) after each; "
            "cpu = user + system time\n"
        )

    def full(self, size: int) -> list[list[Run]]:
        """Floor and tool, each into an empty folder (scenario 1, and each size of scenario 5)."""
        if size not in self.full_runs:
            space = self.space(size)
            self.full_runs[size] = alternate(
                self.args.repeat,
                space.cwd,
                [
                    (space.floor, space.empty("out-floor"), ""),
                    (space.tool, space.empty("out-tool"), space.summary(f"{size} new, 0 changed")),
                ],
            )
            written = [json_files(os.path.join(space.cwd, out)) for out in ("out-floor", "out-tool")]
            if written != [size, size]:  # the two must do the same writing
                sys.exit(f"bench: outputs written by the floor and the tool: {written}, expected {size} each")
        return self.full_runs[size]

    def table(self) -> None:
        """Scenarios 1-3 on one repository of --profiles profiles, and 4 on a repository of 50."""
        size, rows = self.args.profiles, []

        def row(name: str, check: str, base: str, runs: list[list[Run]], limit: float | None) -> None:
            base_runs, tool_runs = runs
            ratio = median(tool_runs) / median(base_runs)
            cpu = median(tool_runs, "cpu") / median(base_runs, "cpu")
            verdict_ = verdict(ratio <= limit) if limit else ""
            target = f"<= {limit}x" if limit else "-"
            rows.append(
                (
                    name,
                    f"{base}: {seconds(base_runs)}",
                    seconds(tool_runs),
                    f"{ratio:.2f}x",
                    f"{cpu:.2f}x",
                    target,
                    verdict_,
                )
            )
            if limit:
                self.checks.append((check, ratio <= limit))

        row(f"1. full compile, {size} profiles, empty --out", "full", "floor", self.full(size), 2.0)

        space = self.space(size)
        runs = alternate(
            self.args.repeat,
            space.cwd,
            [
                (space.floor, None, ""),
                (space.tool, None, space.summary(f"0 new, 0 changed, {size} unchanged")),
            ],
        )
        row(f"2. re-run, nothing changed, {size} profiles", "", "floor", runs, None)

        changed = max(1, size // 100)

        def change(round_: int) -> None:  # before each pair: the tool then has `changed` outputs to rewrite
            for path in random.Random(round_).sample(space.paths, changed):
                touch(path)

        runs = alternate(
            self.args.repeat,
            space.cwd,
            [
                (space.floor, change, ""),
                (space.tool, None, space.summary(f"0 new, {changed} changed")),
            ],
        )
        row(f"3. re-run, 1% changed ({changed} profiles)", "", "floor", runs, None)

        # A small repository checked in CI, against the bare start-up of the CLI framework.
        small = self.space(50)
        measure(small.tool, small.cwd)  # the outputs are up to date before --check runs
        check = [(TYPER, None, ""), ([*small.tool, "--check"], None, "0 new, 0 changed, 50 unchanged, 0 stale")]
        runs = alternate(self.args.check_repeat, small.cwd, check)
        row("4. compile --check, 50 profiles, in a pipe", "check", "typer", runs, 1.2)
        runs = alternate(self.args.check_repeat, small.cwd, check, terminal=True)
        row("4. compile --check, 50 profiles, on a terminal", "check on a terminal", "typer", runs, 1.2)

        head = ("scenario", "baseline: median (min-max)", "syncsecrets", "ratio", "cpu ratio", "target", "")
        widths = [max(len(cells[i]) for cells in [head, *rows]) for i in range(len(head))]
        for cells in [head, *rows]:
            print("  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip())

    def growth(self) -> None:
        print("\n5. growth, full compile into an empty --out; step = (time / previous time) / (size / previous size)")
        print(f"{'profiles':>9}  {'floor':<27}  {'syncsecrets':<27}  {'floor step':>10}  {'tool step':>9}  target")
        previous = None
        for size in self.sizes:
            floor_runs, tool_runs = self.full(size)
            line = f"{size:>9}  {seconds(floor_runs):<27}  {seconds(tool_runs):<27}"
            if previous:
                scale = size / previous[0]
                floor_step = median(floor_runs) / median(previous[1]) / scale
                tool_step = median(tool_runs) / median(previous[2]) / scale
                line += f"  {floor_step:>10.2f}  {tool_step:>9.2f}  <= 1.1 {verdict(tool_step <= 1.1)}"
                self.checks.append((f"growth {previous[0]}->{size}", tool_step <= 1.1))
            print(line.rstrip())
            previous = (size, floor_runs, tool_runs)

    def memory(self) -> None:
        """Peak memory of the full compile at the largest size: one more, untimed, sampled run."""
        size = self.sizes[-1]
        space = self.space(size)
        shutil.rmtree(os.path.join(space.cwd, "out-tool"), ignore_errors=True)
        tree = peak_tree_pss_mb(space.tool, space.cwd)
        floor_runs, tool_runs = self.full(size)
        print(f"\n6. peak memory, full compile of {size} profiles (target < 200 MB):")
        print(f"  whole process tree, summed PSS sampled every 10 ms: {tree:6.1f} MB  {verdict(tree < 200)}")
        print(f"  the process (ru_maxrss via wait4):                 {max(run.maxrss_mb for run in tool_runs):6.1f} MB")
        print(
            f"  floor, one process (ru_maxrss):                    {max(run.maxrss_mb for run in floor_runs):6.1f} MB"
        )
        self.checks.append((f"memory at {size}", tree < 200))

    def summary(self) -> None:
        print("\nsummary: " + ", ".join(f"{name} {verdict(ok)}" for name, ok in self.checks))


if __name__ == "__main__":
    main()
