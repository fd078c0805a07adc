"""OpenAPI Overlay 1.0.0: apply an overlay document's actions to an OpenAPI document.

The profile overlays in ``openapi/overlays/`` narrow the permissive Convoso spec to one source
document's variant; this module is what applies them. It implements the parts of the Overlay 1.0.0
specification those overlays need:

- ``update``: an object target is merged with the update value (objects merged recursively, arrays
  concatenated, anything else replaced); an array target gets the update value appended.
- ``remove: true``: the target is removed from the object or array that holds it (``remove`` wins
  over ``update``, as the specification says).
- targets are JSONPath expressions in a small subset: ``$``, ``.name``, ``['name']``,
  ``["name"]``, ``[n]`` and ``[*]``. Anything else (``..``, filters, slices, unions, ``.*``) raises
  :class:`SpecError` naming the unsupported syntax, rather than being misread.

One deliberate strictness beyond the specification: a target that selects nothing raises
``SpecError`` (``strict=True``, the default). An overlay typo would otherwise silently leave the
spec un-narrowed and a profile would test nothing.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

from optout_conformance.core.errors import SpecError

OVERLAY_VERSIONS = ("1.0.0",)

# One path segment: a dict key (str), an array index (int), or every child (WILDCARD).
WILDCARD = object()
Segment = str | int | object

_DOT_NAME = re.compile(r"\.([A-Za-z_$][A-Za-z0-9_$\-]*)")
_BRACKET_QUOTED = re.compile(r"""\[(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\]""")
_BRACKET_INDEX = re.compile(r"\[([0-9]+)\]")
_BRACKET_WILDCARD = re.compile(r"\[\*\]")


def parse_path(expression: str) -> list[Segment]:
    """Split a JSONPath expression of the supported subset into segments.

    ``$.paths['/a'].post[0]`` -> ``['paths', '/a', 'post', 0]``; ``[*]`` -> :data:`WILDCARD`.
    """
    if not isinstance(expression, str) or not expression.startswith("$"):
        raise SpecError(f"overlay target must be a JSONPath starting with '$': {expression!r}")
    segments: list[Segment] = []
    position = 1
    while position < len(expression):
        rest = expression[position:]
        if rest.startswith(".."):
            raise _unsupported(expression, position, "recursive descent '..'")
        if rest.startswith(".*"):
            raise _unsupported(expression, position, "wildcard '.*' (use '[*]')")
        if rest.startswith("[?"):
            raise _unsupported(expression, position, "filter expression '[?...]'")
        match = _DOT_NAME.match(rest)
        if match:
            segments.append(match.group(1))
        elif match := _BRACKET_QUOTED.match(rest):
            raw = match.group(1) if match.group(1) is not None else match.group(2)
            segments.append(re.sub(r"\\(.)", r"\1", raw))
        elif match := _BRACKET_INDEX.match(rest):
            segments.append(int(match.group(1)))
        elif match := _BRACKET_WILDCARD.match(rest):
            segments.append(WILDCARD)
        else:
            raise _unsupported(expression, position, f"syntax {rest[:20]!r}")
        position += match.end()
    return segments


def _unsupported(expression: str, position: int, what: str) -> SpecError:
    return SpecError(
        f"unsupported JSONPath in overlay target {expression!r} at offset {position}: {what}",
        hint="supported: $, .name, ['name'], [\"name\"], [n], [*]",
    )


def select(document: Any, expression: str) -> list[tuple[Any, Any]]:
    """Every node the expression selects, as ``(container, key)`` pairs; ``(None, None)`` is the root.

    Pairs rather than values so that a caller can replace or remove the node in place.
    """
    return list(_walk(document, None, None, parse_path(expression)))


def resolve(document: Any, expression: str) -> list[Any]:
    """The values of every node the expression selects."""
    return [
        document if container is None else container[key] for container, key in select(document, expression)
    ]


def _walk(node: Any, container: Any, key: Any, segments: list[Segment]) -> Iterator[tuple[Any, Any]]:
    if not segments:
        yield container, key
        return
    head, rest = segments[0], segments[1:]
    if head is WILDCARD:
        if isinstance(node, dict):
            for child_key in list(node):
                yield from _walk(node[child_key], node, child_key, rest)
        elif isinstance(node, list):
            for index in range(len(node)):
                yield from _walk(node[index], node, index, rest)
    elif isinstance(head, int):
        if isinstance(node, list) and head < len(node):
            yield from _walk(node[head], node, head, rest)
    elif isinstance(node, dict) and head in node:
        yield from _walk(node[head], node, head, rest)


def merge(target: Any, update: Any) -> Any:
    """Overlay merge of ``update`` into ``target``, returning the result (``target`` untouched).

    Objects are merged key by key (recursively), arrays are concatenated, any other value replaces.
    """
    if isinstance(target, dict) and isinstance(update, dict):
        merged = dict(target)
        for key, value in update.items():
            merged[key] = merge(target[key], value) if key in target else copy.deepcopy(value)
        return merged
    if isinstance(target, list) and isinstance(update, list):
        return [*target, *copy.deepcopy(update)]
    return copy.deepcopy(update)


def check_overlay(overlay: Any) -> None:
    """Raise SpecError unless ``overlay`` is an Overlay 1.0.0 document this module can apply."""
    if not isinstance(overlay, dict):
        raise SpecError("an overlay must be a mapping")
    if str(overlay.get("overlay")) not in OVERLAY_VERSIONS:
        raise SpecError(
            f"unsupported overlay version {overlay.get('overlay')!r}",
            hint=f"supported: {', '.join(OVERLAY_VERSIONS)}",
        )
    actions = overlay.get("actions")
    if not isinstance(actions, list) or not actions:
        raise SpecError("an overlay needs a non-empty 'actions' list")
    for number, action in enumerate(actions):
        if not isinstance(action, dict) or "target" not in action:
            raise SpecError(f"overlay action {number} has no 'target'")
        if "update" not in action and not action.get("remove"):
            raise SpecError(
                f"overlay action {number} ({action['target']}) has neither 'update' nor 'remove: true'"
            )
        parse_path(action["target"])


def apply_overlay(
    document: dict[str, Any], overlay: dict[str, Any], *, strict: bool = True
) -> dict[str, Any]:
    """A new document: ``document`` with the overlay's actions applied in order.

    ``strict``: a target that selects nothing raises SpecError (see the module docstring).
    """
    check_overlay(overlay)
    result: dict[str, Any] = copy.deepcopy(document)
    for number, action in enumerate(overlay["actions"]):
        target = action["target"]
        selected = select(result, target)
        if strict and not selected:
            raise SpecError(
                f"overlay action {number} selects nothing: {target}",
                hint="the spec changed under the overlay, or the target has a typo",
            )
        if action.get("remove"):
            _remove(result, selected, target)
        else:
            result = _update(result, selected, action["update"], target)
    return result


def _remove(document: Any, selected: list[tuple[Any, Any]], target: str) -> None:
    # Remove list items from the highest index down so earlier removals do not shift later ones.
    for container, key in sorted(
        selected, key=lambda pair: pair[1] if isinstance(pair[1], int) else 0, reverse=True
    ):
        if container is None:
            raise SpecError(f"overlay cannot remove the document root ({target})")
        del container[key]


def _update(
    document: dict[str, Any], selected: list[tuple[Any, Any]], update: Any, target: str
) -> dict[str, Any]:
    for container, key in selected:
        node = document if container is None else container[key]
        if isinstance(node, list):
            new_node: Any = [*node, copy.deepcopy(update)]
        elif isinstance(node, dict):
            if not isinstance(update, dict):
                raise SpecError(f"overlay update of an object must be an object ({target})")
            new_node = merge(node, update)
        else:
            raise SpecError(f"overlay update target is neither an object nor an array ({target})")
        if container is None:
            document = new_node
        else:
            container[key] = new_node
    return document
