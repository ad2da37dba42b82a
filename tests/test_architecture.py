"""The layers' rules, read from the source: no import circles (counting imports
inside functions), the domain imports nothing of ours, storage knows no Slack,
parsers and Block Kit builders stay out of each other's way."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "storage", "sources", "domain")


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports(path: Path, name: str, known: dict[str, Path]) -> set[str]:
    """Our modules `path` imports anywhere in it (functions included)."""
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = name.split(".") if is_package else name.split(".")[:-1]
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, base] if base else parts)
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names)
    return {m for m in out if m in known and m != name}


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(path, name, known) for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in edges[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in edges:
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles():
    assert cycles(graph()) == []


def test_layers_import_only_downwards():
    edges = graph()
    crossings = []
    for name, targets in edges.items():
        for target in targets:
            top, target_top = name.split(".")[0], target.split(".")[0]
            if top == "domain" and target_top != "domain":
                crossings.append((name, target))  # the domain imports nothing of ours
            if top in ("storage", "sources") and target_top == "bot":
                crossings.append((name, target))  # storage and parsers know no Slack
            if top == "storage" and target_top == "sources":
                crossings.append((name, target))
            if name.startswith("bot.blocks") and target_top == "sources":
                crossings.append((name, target))  # Block Kit builders stay pure
    assert crossings == []


def private_uses(path: Path, known: dict[str, Path]) -> list[str]:
    """Another module's private names (`_x`, not `__x__`) that `path` reaches: imported
    (`from m import _x`) or read off an imported module (`m._x`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules: dict[str, str] = {}  # local name -> our module it stands for
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known:
                    modules[alias.asname or alias.name.split(".")[0]] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if f"{node.module}.{alias.name}" in known:
                    modules[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                elif node.module in known and _private(alias.name):
                    found.append(f"from {node.module} import {alias.name}")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and _private(node.attr)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
        ):
            found.append(f"{modules[node.value.id]}.{node.attr}")
    return found


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_the_private_name_finder_finds_both_forms(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("from sources.feeds import _x, parse_feed\nfrom storage import search\n"
                    "search._y(search.z, __name__)\n")  # fmt: skip
    known = {"sources.feeds": path, "storage.search": path}
    assert private_uses(path, known) == ["from sources.feeds import _x", "storage.search._y"]


def test_no_module_uses_another_modules_private_names():
    """A module's `_names` are its own: what two modules share gets a public name in the
    module that owns it (as sources/feed_bytes.py serves sources/feeds.py and
    sources/feed_stream.py)."""
    known = modules()
    found = {name: private_uses(path, known) for name, path in known.items()}
    assert {name: uses for name, uses in found.items() if uses} == {}
