"""The layers of docs/architecture.md hold: import-linter's contracts (pyproject.toml) are kept, the
core imports nothing else of the project, and no import hides inside a function without a reason."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "optout_conformance"
PROJECT = "optout_conformance"
# A function-local project import is allowed only with this comment saying why (an optional
# dependency, a heavy import deferred for start-up speed), on its line or the line above.
REASON = "# deferred:"


def lint_imports() -> str:
    found = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    assert Path(found).exists(), "lint-imports is missing: install the test extra (import-linter)"
    return found


def run_lint_imports(cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    return subprocess.run(
        [lint_imports(), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def project_imports(tree: ast.AST) -> Iterator[tuple[ast.stmt, str]]:
    """Every import statement of the project's own modules in ``tree``, with the module it names."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == PROJECT or alias.name.startswith(PROJECT + "."):
                    yield node, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == PROJECT or node.module.startswith(PROJECT + "."):
                yield node, node.module
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            yield node, "." * node.level + (node.module or "")


def function_local_imports(tree: ast.AST) -> Iterator[ast.stmt]:
    """Project imports inside a function body (at any depth)."""
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for statement in function.body:
                for node, _ in project_imports(statement):
                    yield node


def has_reason(lines: list[str], lineno: int) -> bool:
    """The import on line ``lineno`` (1-based) carries the reason comment: on its own line, or
    above the block of import lines it belongs to."""
    if REASON in lines[lineno - 1]:
        return True
    index = lineno - 2
    while index >= 0 and lines[index].strip().startswith(("from ", "import ")):
        index -= 1
    return index >= 0 and lines[index].strip().startswith(REASON)


def test_every_import_linter_contract_is_kept() -> None:
    result = run_lint_imports(ROOT, ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    for contract in (
        "core imports nothing else of the project",
        "each layer imports only the layers below it",
        "report reads only core",
        "no import cycles between the modules of any package",
    ):
        assert f"{contract}" in result.stdout and "BROKEN" not in result.stdout


def test_the_contracts_break_on_an_upward_import_and_a_cycle(tmp_path: Path) -> None:
    """A copy of the package with the core importing the runner and the registry importing the
    runner back: lint-imports must fail, naming both."""
    shutil.copytree(PACKAGE, tmp_path / "src" / PROJECT, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    urls = tmp_path / "src" / PROJECT / "core" / "urls.py"
    urls.write_text(urls.read_text() + "\nfrom optout_conformance.runner import targets\n")
    registry = tmp_path / "src" / PROJECT / "registry.py"
    registry.write_text(registry.read_text() + "\nfrom optout_conformance.runner import execute\n")
    result = run_lint_imports(tmp_path, tmp_path / "src")
    assert result.returncode != 0, result.stdout
    assert "core imports nothing else of the project BROKEN" in result.stdout
    assert "optout_conformance.core.urls -> optout_conformance.runner.targets" in result.stdout
    assert "optout_conformance.registry -> optout_conformance.runner.execute" in result.stdout


def test_the_core_imports_nothing_else_of_the_project() -> None:
    offending = []
    for file in sorted((PACKAGE / "core").rglob("*.py")):
        tree = ast.parse(file.read_text(encoding="utf-8"))
        for node, module in project_imports(tree):
            if not module.startswith(f"{PROJECT}.core") and not module.startswith("."):
                offending.append(f"{file.relative_to(ROOT)}:{node.lineno} imports {module}")
            elif module.startswith("."):
                offending.append(f"{file.relative_to(ROOT)}:{node.lineno} uses a relative import")
    assert offending == []


def test_no_function_hides_a_project_import_without_a_deferred_reason() -> None:
    hidden = []
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 50
    for file in files:
        text = file.read_text(encoding="utf-8")
        lines = text.splitlines()
        for node in function_local_imports(ast.parse(text)):
            if not has_reason(lines, node.lineno):
                hidden.append(f"{file.relative_to(ROOT)}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    assert hidden == []


def test_a_reason_above_a_block_of_imports_covers_the_block_and_nothing_after_a_blank_line() -> None:
    lines = ["def f():", "    # deferred: start-up speed", "    from a import b", "    from c import d", "",
             "    from e import f", "    from g import h  # deferred: optional dependency"]
    assert [has_reason(lines, n) for n in (3, 4, 6, 7)] == [True, True, False, True]


def test_the_function_local_import_finder_sees_an_import_inside_a_function() -> None:
    tree = ast.parse(
        "import os\nfrom optout_conformance.core import errors\n"
        "def f():\n    if True:\n        from optout_conformance.runner import execute\n    import json\n"
    )
    assert [node.lineno for node in function_local_imports(tree)] == [5]
