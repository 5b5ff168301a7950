"""The shape of the product's code: no import cycles between its modules, and each package
depends only on what it may (docs/ARCHITECTURE.md). Read from the source with ``ast``, so an
import inside a function or under ``TYPE_CHECKING`` counts like any other."""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "actions", "cx_telemetry", "nlu_components")
MODULES = ("contract",)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@functools.cache
def product_modules() -> dict[str, Path]:
    found = {name: ROOT / f"{name}.py" for name in MODULES}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:  # alembic scripts, loaded by alembic
                found[_module_name(path)] = path
    return found


def imports_of(path: Path, name: str) -> Iterator[str]:
    """Every module ``path`` imports, by absolute name. ``from x import y`` gives ``x.y`` when
    that is a module, else ``x`` (a parent package's ``__init__`` runs either way, as for
    ``import x.y``; it is not a dependency of its own)."""
    modules = product_modules()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield full if full in modules else base


def graph() -> dict[str, set[str]]:
    modules = product_modules()
    return {
        name: {dep for dep in imports_of(path, name) if dep in modules and dep != name}
        for name, path in modules.items()
    }


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_among_product_modules() -> None:
    assert cycles(graph()) == []


def _external(top: str) -> dict[str, set[str]]:
    """Top-level names each module of package ``top`` imports."""
    return {
        name: {dep.split(".")[0] for dep in imports_of(path, name)}
        for name, path in product_modules().items()
        if name.split(".")[0] == top
    }


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("cx_telemetry", {"bot", "actions", "rasa", "rasa_sdk", "nlu_components"}),
        ("bot", {"rasa", "rasa_sdk", "actions", "nlu_components"}),
        ("actions", {"bot", "rasa", "nlu_components"}),
        ("nlu_components", {"bot", "actions", "cx_telemetry", "rasa_sdk"}),
    ],
)
def test_package_dependencies(package: str, forbidden: set[str]) -> None:
    wrong = {
        name: deps & forbidden for name, deps in _external(package).items() if deps & forbidden
    }
    assert wrong == {}


def test_the_contract_needs_only_the_standard_library() -> None:
    import sys

    deps = {d.split(".")[0] for d in imports_of(ROOT / "contract.py", "contract")}
    assert deps <= set(sys.stdlib_module_names) | {"__future__"}


def test_only_channel_adapters_import_platform_sdks() -> None:
    platform = {"telegram", "slack_bolt", "slack_sdk"}
    wrong = {
        name: deps & platform
        for name, deps in _external("bot").items()
        if deps & platform and not name.startswith("bot.channels.")
    }
    assert wrong == {}


def test_only_the_digest_talks_to_slack_from_telemetry() -> None:
    # Deliberate: `cx-telemetry digest --slack` posts with slack_sdk's Web API client. The rest
    # of cx_telemetry stays free of platform SDKs (the gateway owns the platforms).
    platform = {"telegram", "slack_bolt", "slack_sdk"}
    allowed = {"cx_telemetry.digest_slack": {"slack_sdk"}}
    wrong = {
        name: deps & platform - allowed.get(name, set())
        for name, deps in _external("cx_telemetry").items()
        if deps & platform - allowed.get(name, set())
    }
    assert wrong == {}


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        # the survey's types know nothing of YAML or of how the file is found and checked
        ("actions.survey_definition", {"yaml", "actions.survey_yaml", "actions.survey_config"}),
        ("actions.survey_yaml", {"actions.survey_config"}),
        # the gateway's object graph knows nothing of HTTP: bot.app puts it behind the routes
        ("bot.services", {"starlette", "bot.app"}),
        # the store's readers never touch its write path; its vocabulary is plain values
        (
            "cx_telemetry.store_queries",
            {"cx_telemetry.store", "cx_telemetry.store_core", "cx_telemetry.outbox"},
        ),
        ("cx_telemetry.vocabulary", {"sqlalchemy", "cx_telemetry.store"}),
        # synthetic rows are plain dicts: writing them is seed.py's business
        ("cx_telemetry.seed_rows", {"sqlalchemy", "cx_telemetry.seed"}),
    ],
)
def test_split_modules_depend_one_way(module: str, forbidden: set[str]) -> None:
    """A module split by concept keeps its parts layered: the part named here does not import
    the parts built on it (nor, where named, the library they wrap)."""
    path = product_modules()[module]
    deps = set(imports_of(path, module))
    wrong = {d for d in deps if d in forbidden or d.split(".")[0] in forbidden}
    assert wrong == set()


MAX_MODULE_LINES = 330  # house style: one concept per module; over ~300 lines, split (some slack)


def test_no_product_module_is_too_long() -> None:
    """One concept per module: a module past the limit is split along a seam (its types, its
    checks, its queries...), not trimmed of comments. Alembic scripts are not counted."""
    lines = {
        name: len(path.read_text(encoding="utf-8").splitlines())
        for name, path in product_modules().items()
        if name not in MODULES
    }
    assert {name: n for name, n in lines.items() if n > MAX_MODULE_LINES} == {}
