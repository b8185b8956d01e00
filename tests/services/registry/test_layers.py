"""The registry's import graph: one way between its domains, repositories below the services.

A domain (units, places, systems, devices, filings, findings, inspections, nvr, imports) may
use other domains' repositories and schemas (the data layer) freely; a domain whose services
another one uses imports nothing of that one, and the services form no cycle, not even through
a shared module such as the change helper."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import services.registry

ROOT = Path(services.registry.__file__).parent
PREFIX = "services.registry."
DATA_LAYER = ("repository", "schemas")


def _modules() -> dict[str, Path]:
    return {
        PREFIX + ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): path
        for path in ROOT.rglob("*.py")
        if "migrations" not in path.parts
    }


def _imports(path: Path, known: set[str]) -> Iterator[str]:
    """The registry modules ``path`` imports, at the top or inside a function."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        yield from (name for name in names if name in known)


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {m: set(_imports(path, set(modules))) - {m} for m, path in modules.items()}


def _domain(module: str) -> str | None:
    """The domain package of a module, or None for a top-level one."""
    parts = module.removeprefix(PREFIX).split(".")
    return parts[0] if len(parts) > 1 else None


def _data_layer(module: str) -> bool:
    return _domain(module) is not None and module.rsplit(".", 1)[-1] in DATA_LAYER


def _node(module: str) -> str:
    """A domain package, or a top-level module, as a node of the package graph."""
    return _domain(module) or module.removeprefix(PREFIX)


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph``, or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        for target in sorted(graph.get(node, ())):
            found = visit(target, [*path, node])
            if found:
                return found
        done.add(node)
        return None

    for start in sorted(graph):
        found = visit(start, [])
        if found:
            return found
    return None


def test_no_module_imports_itself_back() -> None:
    assert _cycle(_graph()) is None


def test_a_domain_whose_services_another_uses_imports_nothing_of_it() -> None:
    uses: set[tuple[str, str, bool]] = set()  # (domain, domain it imports, a service of it)
    for module, targets in _graph().items():
        for target in targets:
            a, b = _domain(module), _domain(target)
            if a and b and a != b:
                uses.add((a, b, not _data_layer(target)))
    both_ways = sorted((a, b) for a, b, service in uses if service and any(u[:2] == (b, a) for u in uses))
    assert both_ways == []


def test_services_form_no_cycle() -> None:
    packages: dict[str, set[str]] = {}
    for module, targets in _graph().items():
        edges = packages.setdefault(_node(module), set())
        edges.update(_node(t) for t in targets if not _data_layer(t) and _node(t) != _node(module))
    assert _cycle(packages) is None


def test_repositories_and_schemas_import_no_service_code() -> None:
    for module, targets in _graph().items():
        if _data_layer(module):
            assert not [t for t in targets if _domain(t) and not _data_layer(t)], module


def test_the_checks_find_a_cycle() -> None:
    # The checks above pass only if they can fail.
    assert _cycle({"units": {"change"}, "change": {"findings"}, "findings": {"units"}}) == [
        "change",
        "findings",
        "units",
        "change",
    ]
    assert _cycle({"units": {"places"}, "places": set()}) is None
