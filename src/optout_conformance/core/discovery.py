"""Module discovery without hand lists: import every module of a package, errors raised."""

from __future__ import annotations

import importlib
import pkgutil


def import_tree(package: str) -> list[str]:
    """Import ``package`` and every module of it and its subpackages (``pkgutil.walk_packages``,
    in name order) and return the names of the modules below it. An import error is raised,
    never swallowed: a check or fault module that cannot be imported would otherwise silently
    take its entries out of every run. A plain module (no ``__path__``) is imported alone."""
    root = importlib.import_module(package)
    names: list[str] = []
    for info in pkgutil.walk_packages(getattr(root, "__path__", []), prefix=f"{package}."):
        importlib.import_module(info.name)
        names.append(info.name)
    return names
