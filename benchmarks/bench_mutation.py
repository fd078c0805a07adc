"""Mutation benchmark over the rules: `checks/` and every `apis/<name>/checks` (a script that prints).

    python benchmarks/bench_mutation.py --sample 30 --seed 1            # a bounded, reproducible sample
    python benchmarks/bench_mutation.py --files convoso_limits.py --sample 20
    python benchmarks/bench_mutation.py                                 # every mutant (hours; see docs)
    python benchmarks/bench_mutation.py --sample 200 --goal 0.9         # exit 1 under the goal

The mutants come from cosmic-ray (``pip install -e ".[mutation]"``): its operators enumerate them
(``cosmic_ray.commands.init``) into a session database, and its worker applies each one and runs
the killing tests (``cosmic_ray.mutating.mutate_and_test``). mutmut 3 is not used because it
never mutates a decorated function, and every rule of the suite is a ``@check``-decorated one.

Everything happens in a throw-away copy of the working tree (the files git tracks or would track,
with their current contents) next to a link to ``../shared``, imported through ``PYTHONPATH``, so
the working tree is never mutated and an interrupted run leaves nothing behind (``--keep`` keeps
the copy and the cosmic-ray session for ``cr-report``).

What kills a mutant: a test of ``--tests`` (default ``tests/self``, ``tests/detection`` in
pytest's default selection, i.e. the detection matrix's CI subset, and the client scenarios
``tests/clients``) that fails or errors, or a
test run that exceeds the per-mutant timeout. One run of those tests on the unmutated copy under
coverage (with the test's node id as the coverage context) must pass first; it tells which tests
execute each line of ``checks/``. A mutant then runs only the tests that execute its line (in
order of their measured duration, stopping at the first failure); a mutant on a line that runs
at import time runs every test; a mutant on a line that no test executes survives without a run
(counted and listed as "uncovered"). Mutants inside type annotations are excluded when the module
has ``from __future__ import annotations`` (every module of ``checks/`` does): they never run.

Printed: mutants generated / excluded / sampled / tested, killed (of which by timeout), survived
(of which uncovered), errors, the kill rate with a Wilson 95 % interval when a sample was drawn,
the wall time; the survivors (file:line, operator, diff) go to ``--survivors``.
Exit 0 unless the tool or the unmutated baseline fails (1), bad input (2), or ``--goal`` is missed (1).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import math
import os
import random
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
CHECKS = Path("src/optout_conformance/checks")
PACKAGE = Path("src/optout_conformance")
# The rules: the generic check modules and every API package's checks (a module or a package).
EQUIVALENT = REPOSITORY / "benchmarks" / "mutation-equivalent.toml"
CHECK_GLOBS = ("checks/*.py", "apis/*/checks.py", "apis/*/checks/*.py")
DEFAULT_TESTS = ("tests/self", "tests/detection", "tests/clients")
# Extra pytest arguments of the baseline and of every mutant's run (``-m EXPR`` from --markers).
EXTRA_PYTEST_ARGS: list[str] = []

# The pytest plugin the coverage run loads: each test's node id becomes the coverage context (so
# the lines it executes are attributed to it, server threads included) and its duration is saved.
CONTEXT_PLUGIN = """
import json, os, time
import coverage
import pytest

_durations = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    cov = coverage.Coverage.current()
    if cov is not None:
        cov.switch_context(item.nodeid)
    started = time.monotonic()
    yield
    _durations[item.nodeid] = time.monotonic() - started
    if cov is not None:
        cov.switch_context("")


def pytest_sessionfinish(session, exitstatus):
    with open(os.environ["MUTATION_DURATIONS"], "w", encoding="utf-8") as handle:
        json.dump(_durations, handle)
"""


class UsageError(Exception):
    """Bad input: reported as one line, exit 2."""


class ToolError(Exception):
    """The tool or the unmutated baseline failed: reported, exit 1."""


@dataclass
class Mutant:
    job_id: str
    path: str  # relative to the repository
    line: int
    column: int
    operator: str
    occurrence: int
    spec: Any  # cosmic_ray.work_item.MutationSpec (in the copy)
    status: str = "pending"  # killed, timeout, survived, uncovered, error
    tests: list[str] = field(default_factory=list)
    seconds: float = 0.0
    diff: str = ""
    note: str = ""


def wilson(killed: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion ``killed / n`` (95 % for z = 1.96)."""
    if n == 0:
        return (0.0, 1.0)
    p = killed / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def tracked_files(repository: Path) -> list[str]:
    """The files git tracks or would track (not ignored), as they are in the working tree."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=repository,
            check=True,
            capture_output=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise ToolError(f"cannot list the repository's files with git: {exc}") from exc
    return [name for name in out.decode().split("\0") if name and (repository / name).is_file()]


def make_copy(repository: Path, workdir: Path) -> Path:
    """Copy the working tree to ``workdir/repo`` and link ``workdir/shared`` to ``../shared``."""
    copy = workdir / "repo"
    for name in tracked_files(repository):
        target = copy / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(repository / name, target)
    shared = repository.parent / "shared"
    if shared.is_dir():
        (workdir / "shared").symlink_to(shared, target_is_directory=True)
    return copy


def select_modules(copy: Path, files: list[str] | None) -> list[Path]:
    """The check modules to mutate: every module of ``checks/`` and of each API package's checks,
    or the ones ``--files`` names (a dotted name below the package such as ``checks.response`` or
    ``apis.convoso.checks.limits``, a path, or a unique last part such as ``limits``)."""
    root = copy / PACKAGE
    paths = sorted({p for pattern in CHECK_GLOBS for p in root.glob(pattern)})
    available = {".".join(p.relative_to(root).with_suffix("").parts): p for p in paths}
    if not files:
        return list(available.values())
    chosen = []
    for name in files:
        wanted = name.removesuffix(".py").replace("/", ".").removeprefix("src.optout_conformance.")
        # An exact dotted name (or path) wins: checks.shapes is not also apis.convoso.checks.shapes.
        matches = [wanted] if wanted in available else [k for k in available if k.endswith("." + wanted)]
        if len(matches) != 1:
            raise UsageError(
                f"--files: {name!r} names {len(matches)} check modules (have: {', '.join(available)})"
            )
        chosen.append(available[matches[0]])
    return chosen


def annotation_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(start, end) positions (line, column) of every type annotation in ``source``, when the
    module has ``from __future__ import annotations`` (else annotations run at definition time)."""
    spans: list[tuple[tuple[int, int], tuple[int, int]]] = []
    tree = ast.parse(source)
    postponed = any(
        isinstance(n, ast.ImportFrom)
        and n.module == "__future__"
        and any(a.name == "annotations" for a in n.names)
        for n in tree.body
    )
    if not postponed:
        return spans
    for node in ast.walk(tree):
        annotations: list[ast.expr | None] = []
        if isinstance(node, ast.arg):
            annotations.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            annotations.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            annotations.append(node.annotation)
        for a in annotations:
            if a is not None and a.end_lineno is not None and a.end_col_offset is not None:
                spans.append(((a.lineno, a.col_offset), (a.end_lineno, a.end_col_offset)))
    return spans


def statement_header_lines(source: str) -> dict[int, range]:
    """For each line, the lines of the innermost statement (a compound one's header only) holding it.

    Coverage records the lines a statement's bytecode runs on; a mutant is executed when any line
    of its statement's header is.
    """
    lines: dict[int, range] = {}

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.stmt) and node.end_lineno is not None:
            bodies = [getattr(node, f, None) for f in ("body", "orelse", "finalbody", "handlers", "cases")]
            starts = [b[0].lineno for b in bodies if isinstance(b, list) and b and hasattr(b[0], "lineno")]
            end = min(starts) - 1 if starts else node.end_lineno
            first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
            span = range(first, max(first, end) + 1)
            for line in span:
                lines[line] = span
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(source))
    return lines


def enumerate_mutants(copy: Path, modules: list[Path], session: Path) -> tuple[list[Mutant], int]:
    """Every mutant cosmic-ray's operators make of ``modules`` (recorded in ``session``), less
    those inside type annotations; returns (mutants, number excluded)."""
    from cosmic_ray.commands import init
    from cosmic_ray.work_db import WorkDB, use_db

    with use_db(str(session), WorkDB.Mode.create) as db:
        init(modules, db, {})
        items = list(db.work_items)
    spans = {m: annotation_spans(m.read_text(encoding="utf-8")) for m in modules}
    mutants, excluded = [], 0
    for item in items:
        spec = item.mutations[0]
        module = Path(spec.module_path)
        start, end = tuple(spec.start_pos), tuple(spec.end_pos)
        if any(a <= start and end <= b for a, b in spans[module]):
            excluded += 1
            continue
        mutants.append(
            Mutant(
                job_id=item.job_id,
                path=str(module.relative_to(copy)),
                line=start[0],
                column=start[1],
                operator=spec.operator_name,
                occurrence=spec.occurrence,
                spec=spec,
            )
        )
    # job ids are random: order by what the mutant is, so a seed always draws the same sample.
    mutants.sort(key=lambda m: (m.path, m.line, m.column, m.operator, m.occurrence))
    return mutants, excluded


@dataclass(frozen=True)
class Equivalent:
    """A mutant declared equivalent: the mutated program means the same as the original."""

    file: str  # relative to the repository
    operator: str  # cosmic-ray's operator name, e.g. core/ReplaceComparisonOperator_Eq_Is
    original: str  # the line before the mutation, stripped
    mutated: str  # the same line after it, stripped
    reason: str  # why no test can tell them apart


def load_equivalents(path: Path) -> list[Equivalent]:
    """The declared equivalent mutants of ``path`` (TOML, ``[[equivalent]]`` tables)."""
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"--equivalent: {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"--equivalent: {path} is not valid TOML ({exc})") from None
    entries = []
    for number, table in enumerate(data.get("equivalent", []), start=1):
        keys = ("file", "operator", "original", "mutated", "reason")
        missing = [k for k in keys if not isinstance(table.get(k), str) or not table[k].strip()]
        if missing:
            raise UsageError(f"--equivalent: entry {number} of {path} lacks {', '.join(missing)}")
        entries.append(Equivalent(*(table[k].strip() for k in keys)))
    return entries


def split_equivalents(
    mutants: list[Mutant], equivalents: list[Equivalent], copy: Path, modules: list[Path]
) -> tuple[list[Mutant], list[Mutant], list[Equivalent]]:
    """(mutants to test, mutants declared equivalent, declarations of a chosen module matching none).

    A declaration matches a mutant of the same file and operator whose line reads ``original``
    before the mutation and ``mutated`` after it (both stripped), so a declaration never outlives
    the line it was written for: an edited line makes it stale (listed), never silently broader."""
    if not equivalents:
        return mutants, [], []
    lines = {str(m.relative_to(copy)): m.read_text(encoding="utf-8").splitlines() for m in modules}
    keep, declared, used = [], [], set()
    for mutant in mutants:
        source_line = lines[mutant.path][mutant.line - 1].strip()
        candidates = [
            e
            for e in equivalents
            if e.file == mutant.path and e.operator == mutant.operator and e.original == source_line
        ]
        match = None
        if candidates:
            mutated = _mutated_source(mutant)
            after = mutated.splitlines()[mutant.line - 1].strip() if mutated else None
            match = next((e for e in candidates if e.mutated == after), None)
        if match is None:
            keep.append(mutant)
        else:
            used.add(match)
            mutant.status, mutant.note = "equivalent", match.reason
            declared.append(mutant)
    stale = [e for e in equivalents if e not in used and e.file in lines]
    return keep, declared, stale


def environment(copy: Path, workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(copy / "src"), str(workdir), env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep
    )
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # a mutant written in the same second must not reuse a stale .pyc
    env.setdefault("HYPOTHESIS_PROFILE", "ci")  # derandomized: the same lines run in every run
    return env


def pytest_command(tests: list[str]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pytest",
        "-x",
        "-q",
        "-p",
        "no:randomly",
        "-p",
        "no:cacheprovider",
        *EXTRA_PYTEST_ARGS,
        *tests,
    ]


def shard_tests(copy: Path, tests: list[str], jobs: int) -> list[list[str]]:
    """``tests`` split into at most ``jobs`` shards of whole test files, balanced by file size
    (a stand-in for duration; the baseline has not run yet). A node id (``path::name``) stays as
    given. Every shard is non-empty."""
    items: list[tuple[int, str]] = []
    for test in tests:
        path = copy / test.split("::")[0]
        if "::" not in test and path.is_dir():
            files = sorted(path.rglob("test_*.py"))
            items += [(f.stat().st_size, str(f.relative_to(copy))) for f in files]
        else:
            items.append((path.stat().st_size if path.is_file() else 0, test))
    shards: list[list[str]] = [[] for _ in range(max(1, min(jobs, len(items))))]
    loads = [0] * len(shards)
    for size, item in sorted(items, key=lambda pair: (-pair[0], pair[1])):
        lightest = loads.index(min(loads))
        shards[lightest].append(item)
        loads[lightest] += size
    return [sorted(shard) for shard in shards if shard]


def coverage_baseline(
    copy: Path, workdir: Path, tests: list[str], modules: list[Path], jobs: int = 1
) -> tuple[dict[str, dict[int, set[str]]], dict[str, float], float]:
    """Run the killing tests once on the unmutated copy under coverage.

    With ``jobs`` > 1 the test files are split into that many shards run at the same time, each
    under coverage in parallel mode with its own data file, then combined (contexts included):
    the same lines and contexts as one run, in about 1/jobs of the time on as many cores.
    Returns (contexts by module and line, duration by node id, wall seconds). Raises ToolError when
    a shard fails: a red baseline would make every mutant look killed.
    """
    import coverage

    (workdir / "_mutation_contexts.py").write_text(CONTEXT_PLUGIN, encoding="utf-8")
    rc = workdir / "coveragerc"
    rc.write_text(
        "[run]\ndata_file = {}\nparallel = true\ninclude =\n{}\n".format(
            workdir / ".coverage", "\n".join(f"    {m}" for m in modules)
        ),
        encoding="utf-8",
    )
    shards = shard_tests(copy, tests, jobs)
    started = time.monotonic()
    runs = []
    for number, shard in enumerate(shards):
        env = environment(copy, workdir)
        env["MUTATION_DURATIONS"] = str(workdir / f"durations-{number}.json")
        command = [
            sys.executable,
            "-m",
            "coverage",
            "run",
            f"--rcfile={rc}",
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            "-p",
            "_mutation_contexts",
            *EXTRA_PYTEST_ARGS,
            *shard,
        ]
        output = (workdir / f"baseline-{number}.log").open("w+", encoding="utf-8")
        runs.append(
            (subprocess.Popen(command, cwd=copy, env=env, stdout=output, stderr=subprocess.STDOUT), output)
        )
    failures = []
    for process, output in runs:
        code = process.wait()
        output.seek(0)
        if code != 0:
            tail = "\n".join(output.read().strip().splitlines()[-15:])
            failures.append(f"(exit {code}):\n{tail}")
        output.close()
    seconds = time.monotonic() - started
    if failures:
        raise ToolError("the killing tests fail on the unmutated tree " + "\n".join(failures))
    combined = coverage.Coverage(config_file=str(rc))
    combined.combine(keep=False)
    combined.save()
    data = combined.get_data()
    contexts: dict[str, dict[int, set[str]]] = {}
    for module in modules:
        by_line = data.contexts_by_lineno(str(module))
        contexts[str(module.relative_to(copy))] = {line: set(c) for line, c in by_line.items()}
    durations: dict[str, float] = {}
    for number in range(len(shards)):
        durations.update(json.loads((workdir / f"durations-{number}.json").read_text(encoding="utf-8")))
    check_reselectable(copy, workdir, sorted(durations))
    return contexts, durations, seconds


def check_reselectable(copy: Path, workdir: Path, node_ids: list[str]) -> None:
    """Every node id the baseline ran must select exactly that test when passed back to pytest.

    A mutant's run names its tests by node id, and cosmic-ray counts any non-zero exit as a kill:
    an id pytest could not find (exit 4) would count as a kill it did not earn.
    """
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--collect-only",
        "-q",
        "-p",
        "no:randomly",
        "-p",
        "no:cacheprovider",
        *EXTRA_PYTEST_ARGS,
        *node_ids,
    ]
    proc = subprocess.run(command, cwd=copy, env=environment(copy, workdir), capture_output=True, text=True)
    collected = {line for line in proc.stdout.splitlines() if "::" in line and not line.startswith(" ")}
    missing = sorted(set(node_ids) - collected)
    if proc.returncode != 0 or missing:
        detail = f"; e.g. {missing[0]}" if missing else ""
        raise ToolError(
            f"pytest cannot reselect the baseline's tests by node id (exit {proc.returncode}, "
            f"{len(missing)} missing{detail}): their runs could not be told from kills"
        )


def tests_for(
    mutant: Mutant, contexts: dict[int, set[str]], headers: dict[int, range], everything: list[str]
) -> list[str] | None:
    """The node ids that execute the mutant's statement; ``everything`` when it runs at import
    time (outside any test); None when no test executes it."""
    span = headers.get(mutant.line, range(mutant.line, mutant.line + 1))
    found: set[str] = set()
    for line in span:
        found |= contexts.get(line, set())
    if "" in found:
        return everything
    return sorted(found) or None


def run_mutants(
    mutants: list[Mutant],
    copy: Path,
    workdir: Path,
    session: Path,
    contexts: dict[str, dict[int, set[str]]],
    durations: dict[str, float],
    timeout: float | None,
    timeout_factor: float,
    budget: float | None,
    progress: bool,
    select: bool = True,
) -> None:
    from cosmic_ray.mutating import mutate_and_test
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult

    everything = sorted(durations)
    headers = {
        path: statement_header_lines((copy / path).read_text(encoding="utf-8"))
        for path in {m.path for m in mutants}
    }
    saved_env = dict(os.environ)
    saved_cwd = Path.cwd()
    os.environ.clear()
    os.environ.update(environment(copy, workdir))  # cosmic-ray's test runner inherits this process's env
    os.chdir(copy)
    started = time.monotonic()
    try:
        with use_db(str(session), WorkDB.Mode.open) as db:
            for index, mutant in enumerate(mutants, 1):
                if budget is not None and time.monotonic() - started > budget:
                    mutant.note = "not run: --max-minutes reached"
                    continue
                selected = (
                    tests_for(mutant, contexts.get(mutant.path, {}), headers[mutant.path], everything)
                    if select
                    else list(everything)
                )
                if selected is None:
                    mutant.status = "uncovered"
                    mutant.note = "no killing test executes this line"
                    mutant.diff = _diff_only(mutant)
                    db.set_result(
                        mutant.job_id,
                        WorkResult(
                            worker_outcome=WorkerOutcome.NORMAL,
                            test_outcome=TestOutcome.SURVIVED,
                            output="not covered",
                            diff=mutant.diff,
                        ),
                    )
                else:
                    # Fastest first, self-tests before the detection matrix: a killed mutant dies early.
                    selected.sort(key=lambda t: (t.startswith("tests/detection"), durations.get(t, 0.0)))
                    mutant.tests = selected
                    expected = sum(durations.get(t, 0.0) for t in selected)
                    limit = timeout if timeout is not None else timeout_factor * expected + 30.0
                    t0 = time.monotonic()
                    result = mutate_and_test([mutant.spec], shlex.join(pytest_command(selected)), limit)
                    mutant.seconds = time.monotonic() - t0
                    db.set_result(mutant.job_id, result)
                    mutant.diff = _relative(result.diff, copy) if result.diff else _diff_only(mutant)
                    if result.worker_outcome != WorkerOutcome.NORMAL:
                        mutant.status = "error"
                        mutant.note = f"{result.worker_outcome.value}: {(result.output or '').strip()[-300:]}"
                    elif result.test_outcome == TestOutcome.KILLED:
                        mutant.status = "timeout" if result.output == "timeout" else "killed"
                        mutant.note = (
                            f"limit {limit:.0f} s"
                            if mutant.status == "timeout"
                            else _first_failure(result.output or "")
                        )
                    elif result.test_outcome == TestOutcome.SURVIVED:
                        mutant.status = "survived"
                        mutant.note = f"{len(selected)} test(s) passed"
                    else:
                        mutant.status = "error"
                        mutant.note = (result.output or "").strip()[-300:]
                if progress:
                    print(
                        f"[{index}/{len(mutants)}] {mutant.status:9} {mutant.seconds:6.1f} s  "
                        f"{mutant.path}:{mutant.line} {mutant.operator}",
                        file=sys.stderr,
                        flush=True,
                    )
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)


def _stop_test_runs() -> None:
    """Kill the process group of any test run still going (after Ctrl-C or SIGTERM).

    cosmic-ray starts each test run in a session of its own (so a timeout kills it whole), which
    also keeps it from receiving the terminal's Ctrl-C: without this, an interrupted benchmark
    would leave pytest running on a removed copy. Only this process's own children are touched.
    """
    me = str(os.getpid())
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[1] == me:  # ppid
            pid = int(stat.parent.name)
            with contextlib.suppress(OSError):
                if os.getpgid(pid) == pid:
                    os.killpg(pid, signal.SIGKILL)
                else:
                    os.kill(pid, signal.SIGKILL)


def _mutated_source(mutant: Mutant) -> str | None:
    """The mutant's module text after its mutation (cosmic-ray's mutation on a string)."""
    import cosmic_ray.plugins
    from cosmic_ray.mutating import mutate_code

    source = Path(mutant.spec.module_path).read_text(encoding="utf-8")
    operator = cosmic_ray.plugins.get_operator(mutant.spec.operator_name)(**(mutant.spec.operator_args or {}))
    try:
        return mutate_code(source, operator, mutant.occurrence)
    except Exception:  # an operator that cannot rewrite its own node (cosmic-ray's bug, not ours)
        return None


def _diff_only(mutant: Mutant) -> str:
    """The mutant's diff without running it (cosmic-ray's mutation on a string)."""
    import difflib

    source = Path(mutant.spec.module_path).read_text(encoding="utf-8")
    mutated = _mutated_source(mutant)
    if mutated is None:
        return ""
    return "".join(
        difflib.unified_diff(
            source.splitlines(keepends=True),
            mutated.splitlines(keepends=True),
            fromfile=f"a/{mutant.path}",
            tofile=f"b/{mutant.path}",
            n=1,
        )
    )


def _relative(diff: str, copy: Path) -> str:
    """cosmic-ray's diff with the copy's paths made relative to the repository."""
    return "\n".join(
        line
        for line in diff.replace(f"a/{copy}/", "a/").replace(f"b/{copy}/", "b/").splitlines()
        if line != "--- mutation diff ---"
    )


def _git_head() -> str:
    """The commit the working tree is on, with "+dirty" when it has uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPOSITORY, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=REPOSITORY, capture_output=True, text=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty.stdout.strip() else "")


def _first_failure(output: str) -> str:
    for line in output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            return line[:200]
    return "tests failed"


def write_survivors(path: Path, mutants: list[Mutant]) -> int:
    survivors = [m for m in mutants if m.status in ("survived", "uncovered")]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        out.write(f"# {len(survivors)} surviving mutant(s) of checks/ (bench_mutation.py)\n\n")
        for m in survivors:
            out.write(
                f"{m.path}:{m.line}:{m.column + 1}  {m.operator} #{m.occurrence}  [{m.status}: {m.note}]\n"
            )
            if m.tests:
                out.write("tests run: " + " ".join(m.tests[:12]) + (" …" if len(m.tests) > 12 else "") + "\n")
            out.write(m.diff.rstrip("\n") + "\n\n")
    return len(survivors)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Mutation benchmark (cosmic-ray) over src/optout_conformance/checks/.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    parser.add_argument(
        "--sample", type=int, metavar="N", help="test a random sample of N mutants (default: all)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample (default 0)")
    parser.add_argument(
        "--files", nargs="+", metavar="MODULE", help="only these modules of checks/ (name or path)"
    )
    parser.add_argument(
        "--tests",
        nargs="+",
        metavar="PATH",
        default=list(DEFAULT_TESTS),
        help="the killing tests, pytest paths in the repository (default: " + " ".join(DEFAULT_TESTS) + ")",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        metavar="S",
        help="per-mutant timeout in seconds "
        "(default: --timeout-factor x the selected tests' baseline duration + 30 s)",
    )
    parser.add_argument("--timeout-factor", type=float, default=3.0, metavar="F")
    parser.add_argument(
        "--max-minutes",
        type=float,
        metavar="M",
        help="start no new mutant after M minutes (the ones not run are reported)",
    )
    parser.add_argument(
        "--goal", type=float, metavar="RATE", help="exit 1 when the kill rate is below RATE (0-1)"
    )
    parser.add_argument(
        "--survivors", type=Path, default=Path("reports/mutation-survivors.txt"), metavar="PATH"
    )
    parser.add_argument(
        "--json", type=Path, metavar="PATH", help="also write the figures and every mutant as JSON"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the copy and the cosmic-ray session (printed)"
    )
    parser.add_argument("--quiet", action="store_true", help="no line per mutant on stderr")
    parser.add_argument(
        "--markers",
        metavar="EXPR",
        help="pytest -m EXPR for the killing tests (default: pyproject's 'not slow'; "
        "'detection' with --tests tests/detection is the full matrix)",
    )
    parser.add_argument(
        "--baseline-jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        metavar="J",
        help="run the baseline under coverage as J shards at once (default: 2, or 1 on one core)",
    )
    parser.add_argument(
        "--equivalent",
        type=Path,
        default=EQUIVALENT,
        metavar="PATH",
        help="the declared equivalent mutants, excluded before sampling (default: "
        "benchmarks/mutation-equivalent.toml)",
    )
    parser.add_argument(
        "--no-equivalent",
        dest="equivalent",
        action="store_const",
        const=None,
        help="exclude no declared equivalent mutant (they are then tested like any other)",
    )
    parser.add_argument(
        "--check-equivalent",
        action="store_true",
        help="only enumerate the mutants and match the declarations: print the counts, exit 1 when a "
        "declaration is stale (seconds; no test runs)",
    )
    parser.add_argument(
        "--no-select",
        action="store_true",
        help="run every mutant against all the killing tests, not only those that execute its line "
        "(slow; cross-checks the coverage-based selection and its 'uncovered' survivors)",
    )
    args = parser.parse_args(argv)
    try:
        return _main(args)
    except UsageError as exc:
        print(f"bench_mutation: {exc}", file=sys.stderr)
        return 2
    except ToolError as exc:
        print(f"bench_mutation: {exc}", file=sys.stderr)
        return 1
    except ModuleNotFoundError as exc:
        print(f'bench_mutation: {exc.name} is not installed (pip install -e ".[mutation]")', file=sys.stderr)
        return 1


def _main(args: argparse.Namespace) -> int:
    if args.sample is not None and args.sample < 1:
        raise UsageError("--sample must be at least 1")
    if args.baseline_jobs < 1:
        raise UsageError("--baseline-jobs must be at least 1")
    if args.goal is not None and not 0 <= args.goal <= 1:
        raise UsageError("--goal is a rate between 0 and 1, e.g. 0.9")
    for option in ("timeout", "timeout_factor", "max_minutes"):
        value = getattr(args, option)
        if value is not None and value <= 0:
            raise UsageError(f"--{option.replace('_', '-')} must be positive")
    for test in args.tests:
        if not (REPOSITORY / test.split("::")[0]).exists():
            raise UsageError(f"--tests: {test!r} does not exist in {REPOSITORY}")
    if args.markers is not None:
        EXTRA_PYTEST_ARGS[:] = ["-m", args.markers]
    import cosmic_ray  # noqa: F401  (fail early, with the install hint, when the tool is missing)
    import coverage  # noqa: F401

    wall = time.monotonic()
    args.commit = _git_head()  # the tree is copied now: later commits are not in the figures
    workdir = Path(tempfile.mkdtemp(prefix="optout-mutation-"))
    # SIGTERM (a CI timeout, kill PID) unwinds like Ctrl-C, so the copy is removed either way.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        copy = make_copy(REPOSITORY, workdir)
        modules = select_modules(copy, args.files)
        session = workdir / "session.sqlite"
        mutants, excluded = enumerate_mutants(copy, modules, session)
        generated = len(mutants) + excluded
        equivalents = [] if args.equivalent is None else load_equivalents(args.equivalent)
        mutants, declared, stale = split_equivalents(mutants, equivalents, copy, modules)
        for entry in stale:
            print(
                f"stale declaration in {args.equivalent}: {entry.file} {entry.operator} "
                f"{entry.original!r} matches no mutant (the line changed?)",
                flush=True,
            )
        if args.check_equivalent:
            print(
                f"cosmic-ray: {generated} mutants in {len(modules)} check module(s), {excluded} in type "
                f"annotations, {len(declared)} declared equivalent ({len(equivalents)} declarations, "
                f"{len(stale)} stale), {len(mutants)} eligible"
            )
            return 1 if stale else 0
        chosen = mutants
        if args.sample is not None and args.sample < len(mutants):
            chosen = random.Random(args.seed).sample(mutants, args.sample)
        print(
            f"cosmic-ray: {generated} mutants in {len(modules)} check module(s), {excluded} in type "
            f"annotations and {len(declared)} declared equivalent excluded; testing {len(chosen)}"
            + (f" (sample, seed {args.seed})" if chosen is not mutants else ""),
            flush=True,
        )
        print(f"baseline: {' '.join(args.tests)} under coverage on the unmutated tree …", flush=True)
        contexts, durations, baseline = coverage_baseline(
            copy, workdir, args.tests, modules, args.baseline_jobs
        )
        print(f"baseline: {len(durations)} tests passed in {baseline:.0f} s", flush=True)
        budget = args.max_minutes * 60 if args.max_minutes else None
        run_mutants(
            chosen,
            copy,
            workdir,
            session,
            contexts,
            durations,
            args.timeout,
            args.timeout_factor,
            budget,
            not args.quiet,
            select=not args.no_select,
        )
        return report(
            args,
            chosen,
            generated,
            excluded,
            declared,
            stale,
            len(mutants),
            baseline,
            time.monotonic() - wall,
        )
    finally:
        _stop_test_runs()
        if args.keep:
            print(f"kept: {workdir} (cosmic-ray session: {workdir / 'session.sqlite'})")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def report(
    args: argparse.Namespace,
    chosen: list[Mutant],
    generated: int,
    excluded: int,
    declared: list[Mutant],
    stale: list[Equivalent],
    eligible: int,
    baseline: float,
    wall: float,
) -> int:
    counts = Counter(m.status for m in chosen)
    killed = counts["killed"] + counts["timeout"]
    survived = counts["survived"] + counts["uncovered"]
    judged = killed + survived
    sampled = len(chosen) < eligible
    print()
    print(
        f"mutants generated   {generated}  ({excluded} in type annotations and {len(declared)} declared "
        f"equivalent excluded, {eligible} eligible)"
    )
    if stale:
        print(f"stale declarations  {len(stale)} (match no mutant; see above)")
    print(f"sampled             {len(chosen)}" + (f"  (seed {args.seed})" if sampled else "  (all)"))
    ran = judged + counts["error"] - counts["uncovered"]
    print(
        f"tested              {judged + counts['error']}  ({ran} run against their tests)"
        + (f"; {counts['pending']} not run: --max-minutes reached" if counts["pending"] else "")
    )
    print(f"killed              {killed}  (of which timed out: {counts['timeout']})")
    print(
        f"survived            {survived}  (of which no killing test executes the line: {counts['uncovered']})"
    )
    print(f"errors              {counts['error']}  (not counted in the rate)")
    rate = killed / judged if judged else 0.0
    if judged:
        low, high = wilson(killed, judged)
        interval = (
            f"  95 % CI {low:.1%}-{high:.1%} (Wilson)" if sampled or counts["pending"] else "  (every mutant)"
        )
        print(f"kill rate           {rate:.1%}  ({killed}/{judged}){interval}")
    else:
        print("kill rate           n/a (no mutant was judged)")
    print(f"wall time           {wall:.0f} s  (baseline under coverage {baseline:.0f} s)")
    tested = [m for m in chosen if m.status in ("killed", "timeout", "survived", "error")]
    if tested:
        mean = sum(m.seconds for m in tested) / len(tested)
        per = (wall - baseline) / max(1, len(chosen) - counts["pending"])
        print(
            f"per mutant          {per:.1f} s on average (test runs {mean:.1f} s); "
            f"all {eligible} would take about {baseline + per * eligible:.0f} s"
        )
    n = write_survivors(args.survivors, chosen)
    print(f"survivors           {n} written to {args.survivors}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "commit": args.commit,
                    "files": args.files or "all",
                    "tests": args.tests,
                    "markers": args.markers,
                    "generated": generated,
                    "excluded_annotations": excluded,
                    "declared_equivalent": [
                        {"path": m.path, "line": m.line, "operator": m.operator, "reason": m.note}
                        for m in declared
                    ],
                    "stale_declarations": [e.__dict__ for e in stale],
                    "eligible": eligible,
                    "sampled": len(chosen),
                    "seed": args.seed if sampled else None,
                    "killed": killed,
                    "timed_out": counts["timeout"],
                    "survived": survived,
                    "uncovered": counts["uncovered"],
                    "errors": counts["error"],
                    "not_run": counts["pending"],
                    "kill_rate": rate,
                    "wilson95": wilson(killed, judged) if judged else None,
                    "wall_seconds": round(wall, 1),
                    "mutants": [
                        {
                            "path": m.path,
                            "line": m.line,
                            "operator": m.operator,
                            "occurrence": m.occurrence,
                            "status": m.status,
                            "seconds": round(m.seconds, 2),
                            "note": m.note,
                        }
                        for m in chosen
                    ],
                },
                indent=2,
            ),
            encoding="utf-8",
        )
    if args.goal is not None and (not judged or rate < args.goal):
        print(f"kill rate {rate:.1%} is below the goal {args.goal:.0%}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
