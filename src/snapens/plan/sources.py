"""The library files each rule's job runs, found from the package's imports,
so that a rule can list them as inputs: editing a module reruns exactly the
jobs that run it (a figure function, the figure jobs; a metric, evaluation
and everything after it), as Snakemake does for a rule's own script.

:func:`import_graph` reads every module's ``import`` statements (including
those inside functions) without importing anything; the test of the
package's layering reads the same graph.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

PACKAGE = "snapens"
ROOT = Path(__file__).resolve().parents[1]  # the directory of the package snapens


def module_names(root: Path = ROOT, package: str = PACKAGE) -> dict[str, Path]:
    """Every module of the package under ``root``, by dotted name (a
    package's own name maps to its ``__init__.py``)."""
    names = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join((package, *parts))] = path
    return names


def _imported(tree: ast.AST, modules: dict[str, Path], package: str) -> set[str]:
    """The package's modules a module's syntax tree imports."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # ``from a.b import c``: the module a.b, and a.b.c when c is a module
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        for name in names:
            if name == package or name.startswith(package + "."):
                # ``import a.b.c`` also runs a and a.b; the innermost known module counts
                while name not in modules and "." in name:
                    name = name.rsplit(".", 1)[0]
                if name in modules:
                    found.add(name)
    return found


def import_graph(root: Path = ROOT, package: str = PACKAGE) -> dict[str, set[str]]:
    """``{module: the package's modules it imports}`` for every module under ``root``."""
    modules = module_names(root, package)
    return {
        name: _imported(ast.parse(path.read_text(), str(path)), modules, package) - {name}
        for name, path in modules.items()
    }


@cache
def _modules() -> dict[str, Path]:
    return module_names()


@cache
def _graph() -> dict[str, set[str]]:
    return import_graph()


def imported_modules(code: str) -> list[str]:
    """The package's modules a piece of Python code (a rule's script, the
    Snakefile's import lines) imports."""
    return sorted(_imported(ast.parse(code), _modules(), PACKAGE))


def closure(*modules: str, graph: dict[str, set[str]] | None = None) -> set[str]:
    """``modules`` and every module of the package they import, transitively."""
    graph = graph if graph is not None else _graph()
    seen, todo = set(), list(modules)
    while todo:
        name = todo.pop()
        if name not in seen:
            if name not in graph:
                raise KeyError(f"{name}: not a module of {PACKAGE}")
            seen.add(name)
            todo.extend(graph[name])
    return seen


def script_modules(script: str | Path) -> list[str]:
    """The package's modules a rule's script imports."""
    return imported_modules(Path(script).read_text())


def sources(*modules: str) -> list[str]:
    """The files of ``modules`` and of everything they import from the package,
    sorted: the library a job runs. Packages' ``__init__.py`` files are left
    out: they hold docstrings and the version only (tested), and a new
    version number must not rerun the study."""
    files = _modules()
    return sorted(str(files[name]) for name in closure(*modules) if files[name].name != "__init__.py")
