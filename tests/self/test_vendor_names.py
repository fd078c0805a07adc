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




def vendor_name_mentions(source: str, filename: str = "<source>") -> list[str]:
    """``line: text`` for every identifier or string (docstrings aside) containing an API name."""
    tree = ast.parse(source, filename)
    docstrings = {
        id(node.body[0].value) for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }
    found: list[str] = []
    for node in ast.walk(tree):
        texts: list[str] = []
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            texts.append(node.value)
        elif isinstance(node, ast.Name):
            texts.append(node.id)
        elif isinstance(node, ast.Attribute):
            texts.append(node.attr)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            texts.append(node.name)
        elif isinstance(node, ast.arg):
            texts.append(node.arg)
        elif isinstance(node, ast.alias):
            texts.append(node.asname or node.name)
        found += [f"{getattr(node, 'lineno', 0)}: {text!r}" for text in texts
                  if any(name in text.lower() for name in BUILT_IN_NAMES)]
    return sorted(set(found))


def test_a_table_name_in_sql_or_a_vendor_method_is_a_mention() -> None:
    source = (
        '"""Stores convoso records."""\n'
        'SCHEMA = "CREATE TABLE avaamo_entries (id INTEGER)"\n'
        'def insert_convoso(store): store.add_whatcounts_stop()\n'
    )
    assert [m.split(": ", 1)[1] for m in vendor_name_mentions(source)] == [
        "'CREATE TABLE avaamo_entries (id INTEGER)'", "'add_whatcounts_stop'", "'insert_convoso'"]


@pytest.mark.parametrize("module", sorted(
    path.relative_to(PACKAGE).as_posix() for path in (PACKAGE / "reference").glob("*.py")))
def test_the_reference_engine_names_no_api_not_even_its_tables(module: str) -> None:
    """Each API's tables, rows and seed data live in its package (``apis/<name>/store.py``)."""
    path = PACKAGE / module
    assert vendor_name_mentions(path.read_text(encoding="utf-8"), str(path)) == []
