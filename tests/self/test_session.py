"""The one run loop (``runner.session.ApiSession``) and its hooks, and the discovery of check modules.

The session runs against a tiny Avaamo-shaped Starlette app served over real HTTP on 127.0.0.1;
the checks are unregistered ``CheckSpec`` objects made here (the catalog is left as it is).
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from optout_conformance.checks.registry import load_all
from optout_conformance.core.checks import CHECKS, CheckSpec
from optout_conformance.core.context import Credentials, Target
from optout_conformance.core.discovery import import_tree
from optout_conformance.core.outcomes import CheckFailed
from optout_conformance.core.results import CheckResult
from optout_conformance.runner.context import RunContext
from optout_conformance.runner.execute import RunLimits
from optout_conformance.runner.session import ApiSession, SessionHooks

CREDENTIALS = Credentials(token="t0ken")


async def opt_status(request: Request) -> Response:
    return JSONResponse({"entries": [], "total_entries": 0})


@contextlib.contextmanager
def avaamo_target() -> Iterator[Target]:
    """A minimal Avaamo opt-status endpoint on 127.0.0.1 (ephemeral port), as a Target."""
    app = Starlette(routes=[Route("/api/v2/sms/opt-status.json", opt_status)])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="critical",
                                           lifespan="off", timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "test server did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield Target(api="avaamo", base_url=f"http://127.0.0.1:{port}/api/v2", loopback=True)
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def spec(name: str, function: Callable[[RunContext], None], *, writes: bool = False) -> CheckSpec:
    return CheckSpec(id=f"avaamo.robustness.{name}", api="avaamo", family="robustness", source="test",
                     function=function, writes=writes)


def passes(ctx: RunContext) -> None:
    ctx.http.get("/sms/opt-status.json")


def fails(ctx: RunContext) -> None:
    ex = ctx.http.get("/sms/opt-status.json")
    raise CheckFailed("a rule", received="this", documented="that", source="003", exchange=ex)


class Recorder(SessionHooks):
    """Writes down every hook call, in order; stops after the first failure when asked to."""

    def __init__(self, *, stop_on_failure: bool = False, reverse: bool = False) -> None:
        self.calls: list[str] = []
        self.stop_on_failure, self.reverse = stop_on_failure, reverse

    def order(self, checks: Sequence[CheckSpec]) -> list[CheckSpec]:
        return list(reversed(checks)) if self.reverse else list(checks)

    @contextlib.contextmanager
    def _around(self, label: str) -> Iterator[None]:
        self.calls.append(f"enter {label}")
        yield
        self.calls.append(f"exit {label}")

    def around_fingerprint(self, ctx: RunContext) -> contextlib.AbstractContextManager[Any]:
        return self._around("fingerprint")

    def around_check(self, ctx: RunContext, spec: CheckSpec) -> contextlib.AbstractContextManager[Any]:
        return self._around(spec.id.rsplit(".", 1)[-1])

    def after_check(self, ctx: RunContext, result: CheckResult) -> bool:
        self.calls.append(f"{result.id.rsplit('.', 1)[-1]} {result.status}")
        return self.stop_on_failure and result.status == "failed"


def test_in_order_the_session_probes_first_then_runs_each_check_inside_its_hooks_in_the_hooks_order() -> None:
    hooks = Recorder(reverse=True)
    checks = [spec("first", passes), spec("second", fails)]
    with avaamo_target() as target, ApiSession(target, CREDENTIALS, "lenient", RunLimits(),
                                               hooks=[hooks]) as session:
        result = session.run(checks, in_order=True)
    assert hooks.calls == ["enter fingerprint", "exit fingerprint",
                           "enter second", "exit second", "second failed",
                           "enter first", "exit first", "first passed"]
    assert [c.id.rsplit(".", 1)[-1] for c in result.checks] == ["second", "first"]
    assert session.stopped is None


def test_a_hook_asking_to_stop_leaves_the_remaining_checks_without_a_result() -> None:
    hooks = Recorder(stop_on_failure=True)
    checks = [spec("one", passes), spec("two", fails), spec("three", passes)]
    with avaamo_target() as target, ApiSession(target, CREDENTIALS, "lenient", RunLimits(),
                                               hooks=[hooks]) as session:
        result = session.run(checks, in_order=True)
    assert [c.status for c in result.checks] == ["passed", "failed"]
    assert session.stopped == "stopped after avaamo.robustness.two"
    assert "enter three" not in hooks.calls


def test_a_before_check_reason_stops_the_session_before_that_check_starts() -> None:
    class Budget(SessionHooks):
        def before_check(self, ctx: RunContext, spec: CheckSpec) -> str | None:
            return "out of budget" if spec.id.endswith("late") else None

    checks = [spec("early", passes), spec("late", passes), spec("later", passes)]
    with avaamo_target() as target, ApiSession(target, CREDENTIALS, "lenient", RunLimits(),
                                               hooks=[Budget()]) as session:
        result = session.run(checks, in_order=True)
    assert [c.id for c in result.checks] == ["avaamo.robustness.early"]
    assert session.stopped == "out of budget"


def test_on_threads_the_writing_checks_run_after_the_others_and_results_keep_the_given_order() -> None:
    started: list[str] = []

    def record(name: str) -> Callable[[RunContext], None]:
        def function(ctx: RunContext) -> None:
            started.append(name)
            ctx.http.get("/sms/opt-status.json")
        return function

    checks = [spec("writer", record("writer"), writes=True), spec("reader_a", record("reader_a")),
              spec("reader_b", record("reader_b"))]
    with avaamo_target() as target, ApiSession(target, CREDENTIALS, "lenient",
                                               RunLimits(workers=2)) as session:
        result = session.run(checks)
    assert started[-1] == "writer" and sorted(started[:2]) == ["reader_a", "reader_b"]
    assert [c.id.rsplit(".", 1)[-1] for c in result.checks] == ["writer", "reader_a", "reader_b"]
    assert all(c.status == "passed" for c in result.checks)


def test_run_check_alone_probes_once_then_runs_the_check() -> None:
    hooks = Recorder()
    with avaamo_target() as target, ApiSession(target, CREDENTIALS, "lenient", RunLimits(),
                                               hooks=[hooks]) as session:
        first = session.run_check(spec("alone", passes))
        second = session.run_check(spec("again", fails))
    assert first is not None and first.status == "passed"
    assert second is not None and second.status == "failed"
    assert hooks.calls.count("enter fingerprint") == 1
    assert hooks.calls[0] == "enter fingerprint"


# --- Discovery of check modules ------------------------------------------------------------------

GOOD_MODULE = '''
from optout_conformance.core.checks import check


@check(id="avaamo.robustness.{name}", api="avaamo", family="robustness", source="test")
def discovered(ctx):
    pass
'''


def make_package(root: Path, name: str, modules: dict[str, str]) -> None:
    package = root / name
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for module, text in modules.items():
        path = package / f"{module}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.parent != package and not (path.parent / "__init__.py").exists():
            (path.parent / "__init__.py").write_text("")
        path.write_text(text)


@pytest.fixture
def clean_imports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """``tmp_path`` on sys.path; the packages and checks a test makes there are removed after it."""
    monkeypatch.syspath_prepend(str(tmp_path))
    before_modules, before_checks = set(sys.modules), set(CHECKS)
    yield tmp_path
    for name in set(sys.modules) - before_modules:
        if name.startswith("oc_discovery_"):
            del sys.modules[name]
    for check_id in set(CHECKS) - before_checks:
        del CHECKS[check_id]


def test_discovery_imports_every_module_of_a_package_and_its_subpackages(clean_imports: Path) -> None:
    make_package(clean_imports, "oc_discovery_good", {
        "alpha": GOOD_MODULE.format(name="discovered_alpha"),
        "nested/beta": GOOD_MODULE.format(name="discovered_beta"),
    })
    names = import_tree("oc_discovery_good")
    assert names == ["oc_discovery_good.alpha", "oc_discovery_good.nested", "oc_discovery_good.nested.beta"]
    catalog = load_all(("oc_discovery_good",))
    assert {"avaamo.robustness.discovered_alpha", "avaamo.robustness.discovered_beta"} <= set(catalog)


def test_a_check_module_that_cannot_be_imported_raises_instead_of_dropping_its_checks(
    clean_imports: Path,
) -> None:
    make_package(clean_imports, "oc_discovery_broken", {
        "fine": GOOD_MODULE.format(name="discovered_fine"),
        "broken": "import oc_discovery_no_such_module\n",
    })
    with pytest.raises(ModuleNotFoundError, match="oc_discovery_no_such_module"):
        load_all(("oc_discovery_broken",))
    make_package(clean_imports, "oc_discovery_syntax", {"bad": "def (:\n"})
    with pytest.raises(SyntaxError):
        import_tree("oc_discovery_syntax")


def test_the_default_catalog_is_discovered_without_a_list_of_module_names() -> None:
    catalog = load_all()
    assert {spec.api for spec in catalog.values()} >= {"convoso", "whatcounts", "avaamo"}
    assert any(spec.family == "properties" for spec in catalog.values())
