"""Generic modules never decide by a built-in API's name: they ask the API's definition.

Every module of the package outside ``apis/`` is parsed with ``ast``; a string constant that is a
built-in API name ("convoso", "whatcounts", "avaamo") is a defect when it is compared with
(``api == "convoso"``, ``api in ("convoso", ...)``), used as a dict key (``{"convoso": ...}``), as a
``case`` pattern, or as a subscript (``TABLE["convoso"]``). Names in help texts, docstrings and
examples are fine.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import optout_conformance

PACKAGE = Path(optout_conformance.__file__).resolve().parent
BUILT_IN_NAMES = frozenset({"convoso", "whatcounts", "avaamo"})

def _is_name(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value in BUILT_IN_NAMES


def _names_within(node: ast.AST) -> list[ast.Constant]:
    """Built-in API names in ``node`` itself or in the tuple/list/set literal it is."""
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [item for item in node.elts if isinstance(item, ast.Constant) and _is_name(item)]
    return [node] if isinstance(node, ast.Constant) and _is_name(node) else []


def vendor_name_uses(source: str, filename: str = "<source>") -> list[str]:
    """``line: how`` for every comparison, dict key, case pattern or subscript by an API name."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Compare):
            for operand in (node.left, *node.comparators):
                found += [f"{c.lineno}: compares with {c.value!r}" for c in _names_within(operand)]
        elif isinstance(node, ast.Dict):
            found += [f"{k.lineno}: dict key {k.value!r}" for k in node.keys
                      if isinstance(k, ast.Constant) and _is_name(k)]
        elif isinstance(node, ast.MatchValue):
            found += [f"{c.lineno}: case {c.value!r}" for c in _names_within(node.value)]
        elif isinstance(node, ast.Subscript):
            found += [f"{c.lineno}: subscript [{c.value!r}]" for c in _names_within(node.slice)]
    return sorted(set(found), key=lambda text: (int(text.split(":")[0]), text))


def generic_modules() -> list[str]:
    """Every module of the package outside ``apis/``, relative to the package (posix)."""
    return sorted(
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).parts[0] != "apis"
    )


def _uses(module: str) -> list[str]:
    path = PACKAGE / module
    return vendor_name_uses(path.read_text(encoding="utf-8"), str(path))


@pytest.mark.parametrize("source, how", [
    ('if api == "convoso":\n    pass\n', "compares with 'convoso'"),
    ('ok = "avaamo" != api\n', "compares with 'avaamo'"),
    ('ok = api in ("whatcounts", "avaamo")\n', "compares with 'whatcounts'"),
    ('TABLE = {"convoso": 1}\n', "dict key 'convoso'"),
    ('value = TABLE["whatcounts"]\n', "subscript ['whatcounts']"),
    ('match api:\n    case "avaamo":\n        pass\n', "case 'avaamo'"),
])
def test_each_way_of_deciding_by_an_api_name_is_found(source: str, how: str) -> None:
    assert any(how in use for use in vendor_name_uses(source))


def test_an_api_name_in_a_help_text_or_a_call_is_not_a_decision() -> None:
    source = (
        '"""Serves convoso, whatcounts and avaamo."""\n'
        'HELP = "pass --api convoso|whatcounts|avaamo"\n'
        'ORDER = ("convoso", "whatcounts", "avaamo")\n'
        'run("convoso", profile="community")\n'
        'if api == "other":\n    pass\n'
    )
    assert vendor_name_uses(source) == []


def test_the_package_has_generic_modules_to_inspect() -> None:
    modules = generic_modules()
    assert "faults/open_points.py" in modules and "cli.py" in modules
    assert not any(module.startswith("apis/") for module in modules)


@pytest.mark.parametrize("module", generic_modules())
def test_no_generic_module_decides_by_a_built_in_api_name(module: str) -> None:
    assert _uses(module) == [], f"{module} names an API where it should ask the definition"


