"""Imports flow one way (README, 架构): each app imports only the apps above it in INSTALLED_APPS.

campaign ← notices ← ledgers ← tasks ← inspections ← materials, surveys, snaps ← reports ← dataload

``materials``, ``surveys`` and ``snaps`` sit on one level and do not import each other; ``config``
may import anything; tests are exempt. Every import counts, also one inside a function: a late
import hides a dependency from the reader, it does not remove it. Only ``if TYPE_CHECKING:``
blocks are left out (they never run).

Inside an app, modules must not import each other in a circle either (``reports/jobs.py`` ↔
``reports/job_services.py`` was one), except the known circles listed in ``KNOWN_CYCLES``.
No Django needed: the source is parsed with ``ast``.
"""
from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Source files only: .ci/run runs this on PostgreSQL only.
pytestmark = pytest.mark.engine_independent
# Lowest first; the apps of one inner tuple are siblings.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("campaign",), ("notices",), ("ledgers",), ("tasks",), ("inspections",),
    ("materials", "surveys", "snaps"), ("reports",), ("dataload",),
)
RANK = {app: rank for rank, apps in enumerate(LAYERS) for app in apps}
# Circles of late imports that predate this test, each with why it is tolerated. Do not add to it.
KNOWN_CYCLES: set[frozenset[str]] = {
    # The model computes its search text on save; the search module registers signals on the models.
    frozenset({"campaign.models", "campaign.search"}),
    # The engine reads through the cache; the cache stores the engine's result types (and, since the
    # cockpit, its group averages use reports.data.average_score, which reads the engine).
    frozenset({"reports.scoring", "reports.score_cache", "reports.data"}),
    # New this round (the Word documents): renderers dispatches to word/summary late, and they take
    # RenderedFile from renderers. Moving RenderedFile to a module of its own would end it.
    frozenset({"reports.renderers", "reports.summary", "reports.word"}),
}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. "reports.jobs"
    target: str  # what it names, e.g. "reports.job_services" or "campaign.models.Unit"
    line: int

    @property
    def where(self) -> str:
        return f"{self.module.replace('.', '/')}.py:{self.line}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node except the bodies of ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            for other in node.orelse:
                yield other
                yield from _nodes(other)
            continue
        yield node
        yield from _nodes(node)


def imports_of(path: Path) -> list[Import]:
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[Import] = []
    for node in _nodes(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [Import(module, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                prefix = f"{base}.{node.module}" if node.module else base
            else:
                prefix = node.module or ""
            if node.module:
                found.append(Import(module, prefix, node.lineno))
            found += [Import(module, f"{prefix}.{alias.name}", node.lineno) for alias in node.names]
    return found


def project_imports() -> list[Import]:
    found: list[Import] = []
    for app in [*RANK, "config"]:
        for path in sorted((ROOT / app).rglob("*.py")):
            found += imports_of(path)
    return found


def layering_violations(found: list[Import]) -> list[str]:
    problems = []
    seen: set[tuple[str, str]] = set()
    for imp in sorted(found, key=lambda imp: len(imp.target)):  # "from a.b import c" is reported once, as a.b
        source, target = imp.module.split(".")[0], imp.target.split(".")[0]
        if source == "config" or target not in RANK or source == target or (imp.where, target) in seen:
            continue
        seen.add((imp.where, target))
        if RANK[target] > RANK[source]:
            problems.append(f"{imp.where}: {source} imports {imp.target}, but {target} sits below {source}")
        elif RANK[target] == RANK[source]:
            problems.append(f"{imp.where}: {source} imports {imp.target}, but {source} and {target} are siblings")
    return sorted(set(problems))


def module_cycles(found: list[Import]) -> list[list[str]]:
    """Circles of modules inside one app (strongly connected components with more than one module)."""
    modules = {imp.module for imp in found}
    graph: dict[str, set[str]] = defaultdict(set)
    for imp in found:
        if imp.target in modules and imp.target != imp.module and imp.target.split(".")[0] == imp.module.split(".")[0]:
            graph[imp.module].add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan; the project is small enough for recursion
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(modules):
        if node not in index:
            visit(node)
    return cycles


def test_the_layers_are_the_installed_apps_in_order():
    from django.conf import settings

    ours = [app for app in settings.INSTALLED_APPS if app in RANK]
    assert ours == [app for apps in LAYERS for app in apps]


def test_no_app_imports_an_app_below_it():
    problems = layering_violations(project_imports())
    assert not problems, "Imports must flow one way (README, 架构):\n" + "\n".join(problems)


def test_no_circle_of_imports_inside_an_app():
    cycles = [c for c in module_cycles(project_imports()) if not any(set(c) <= known for known in KNOWN_CYCLES)]
    assert not cycles, "Modules importing each other in a circle:\n" + "\n".join(" ↔ ".join(c) for c in cycles)


# ------------------------------------------------------------------ the checker itself can fail


def _write(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    return path


def test_an_upward_import_inside_a_function_is_reported(monkeypatch, tmp_path):
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    path = _write(tmp_path, "tasks/services.py", "def f():\n    from reports.scoring import x\n")
    problems = layering_violations(imports_of(path))
    assert problems == ["tasks/services.py:2: tasks imports reports.scoring, but reports sits below tasks"]


def test_siblings_may_not_import_each_other_but_may_import_above(monkeypatch, tmp_path):
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    path = _write(tmp_path, "snaps/views.py", "import surveys.models\nfrom inspections import services\n")
    assert layering_violations(imports_of(path)) == [
        "snaps/views.py:1: snaps imports surveys.models, but snaps and surveys are siblings"
    ]


def test_type_checking_imports_and_config_are_left_out(monkeypatch, tmp_path):
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    guarded = _write(tmp_path, "campaign/x.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from tasks.models import Task\n")
    wiring = _write(tmp_path, "config/urls.py", "from dataload import views\n")
    assert layering_violations(imports_of(guarded) + imports_of(wiring)) == []


def test_a_late_import_closing_a_circle_is_a_cycle(monkeypatch, tmp_path):
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    jobs = _write(tmp_path, "reports/jobs.py", "from . import job_services\n")
    services = _write(tmp_path, "reports/job_services.py", "def send():\n    from . import jobs\n")
    assert module_cycles(imports_of(jobs) + imports_of(services)) == [["reports.job_services", "reports.jobs"]]
