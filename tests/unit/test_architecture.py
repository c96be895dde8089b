"""The package mirrors the DAG: each stage imports only from the stages before
it, no module imports itself back through others, and docs/architecture.md
names every module with the rules it serves."""

import re
import textwrap

from snapens.plan.sources import closure, import_graph, module_names, sources
from workflow_utils import ROOT

# the layers, in DAG order: a module may import from its own layer and the ones before it
LAYERS = ("core", "data", "train", "evaluate", "analyse", "report", "plan")


def layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) < 2 or parts[1] not in LAYERS:
        return -1  # the package itself: its __init__ holds the version only
    return LAYERS.index(parts[1])


def backward_imports(graph):
    return sorted((a, b) for a, deps in graph.items() for b in deps if layer(b) > layer(a))


def cycles(graph):
    """Every strongly connected component of more than one module (Tarjan)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_every_module_belongs_to_a_layer():
    assert [m for m in module_names() if m != "snapens" and layer(m) < 0] == []


def test_imports_flow_one_way_along_the_dag_and_never_in_a_cycle():
    graph = import_graph()
    assert backward_imports(graph) == []
    assert cycles(graph) == []


def make_package(root, files):
    for name, text in files.items():
        path = root / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return import_graph(root / "pkg", "pkg")


def test_the_graph_sees_every_kind_of_import_and_the_checks_can_fail(tmp_path):
    """A package built to break both rules: the graph holds each import form
    (plain, from-module, from-package, inside a function) and both checks fire."""
    graph = make_package(
        tmp_path,
        {
            "__init__.py": "",
            "core/__init__.py": "",
            "core/a.py": "def f():\n    from pkg.train import b  # backward, and lazy\n",
            "train/__init__.py": "",
            "train/b.py": "import pkg.train.c\n",
            "train/c.py": "from pkg.train import b\nfrom pkg.core.a import f\nimport os\n",
        },
    )
    assert graph["pkg.core.a"] == {"pkg.train", "pkg.train.b"}
    assert graph["pkg.train.b"] == {"pkg.train.c"}
    assert graph["pkg.train.c"] == {"pkg.train", "pkg.train.b", "pkg.core.a"}
    renamed = {
        k.replace("pkg", "snapens"): {v.replace("pkg", "snapens") for v in vs} for k, vs in graph.items()
    }
    assert backward_imports(renamed) == [
        ("snapens.core.a", "snapens.train"),
        ("snapens.core.a", "snapens.train.b"),
    ]
    assert cycles(renamed) == [["snapens.core.a", "snapens.train.b", "snapens.train.c"]]
    assert closure("pkg.train.b", graph=graph) == {"pkg.train.b", "pkg.train.c", "pkg.train", "pkg.core.a"}


def test_package_inits_hold_docstrings_only_so_that_no_job_depends_on_them():
    """A rule's library inputs leave __init__.py out (a new version number must
    not rerun the study): so they must run no code."""
    import ast

    for name, path in module_names().items():
        if path.name != "__init__.py":
            continue
        body = ast.parse(path.read_text()).body
        assert isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant), name
        rest = body[1:]
        allowed = (
            name == "snapens"
            and [type(n) for n in rest] == [ast.Assign]
            and rest[0].targets[0].id == "__version__"
        )
        assert not rest or allowed, f"{path}: code besides its docstring"


def test_the_training_job_runs_no_evaluation_code_and_the_figures_no_training_code():
    train = {p.split("snapens/")[1] for p in sources("snapens.train.rule_train")}
    assert "train/loop.py" in train and not any(
        p.startswith(("evaluate/", "analyse/", "report/")) for p in train
    )
    figures = {p.split("snapens/")[1] for p in sources("snapens.report.rule_plot")}
    assert "report/style.py" in figures and "train/loop.py" not in figures
    assert not any(p.endswith("__init__.py") for p in train | figures)


ARCHITECTURE = ROOT / "docs" / "architecture.md"


def test_the_architecture_map_names_every_module_once():
    text = ARCHITECTURE.read_text()
    named = re.findall(r"^\| `([a-z_./]+\.py)` \|", text, flags=re.M)
    modules = sorted(
        str(p.relative_to(ROOT / "src" / "snapens"))
        for p in module_names().values()
        if p.name != "__init__.py"
    )
    assert sorted(named) == modules
    assert len(text.split()) < 1200, "short enough to read in two minutes"


RULES = {
    "make_dataset": "make_dataset.py",
    "train": "train.py",
    "evaluate": "evaluate.py",
    "aggregate": "aggregate.py",
    "decision_grid": "decision_grid.py",
    "summarise": "summarise.py",
    "plot_{family}": "plot.py",
    "verify": "verify.py",
}


def runners() -> dict[str, list[str]]:
    """Per module (its path in the package): the rules whose jobs run it, then
    "Snakefile" if the Snakefile does while it builds the DAG."""
    from snapens.plan.sources import imported_modules, script_modules

    out: dict[str, list[str]] = {}
    for rule, script in RULES.items():
        for path in sources(*script_modules(ROOT / "workflow" / "scripts" / script)):
            out.setdefault(path.split("snapens/")[1], []).append(rule)
    names = module_names()
    lines = [
        line
        for line in (ROOT / "workflow" / "rules" / "common.smk").read_text().splitlines()
        if line.startswith(("from snapens", "import snapens"))
    ]
    for module in closure(*imported_modules("\n".join(lines))):
        if names[module].name != "__init__.py":
            out.setdefault(str(names[module].relative_to(ROOT / "src" / "snapens")), []).append("Snakefile")
    return out


def test_the_architecture_map_names_the_rules_that_run_each_module():
    rows = dict(re.findall(r"^\| `([a-z_./]+\.py)` \| ([^|]+) \|", ARCHITECTURE.read_text(), flags=re.M))
    for module, rules in runners().items():
        written = rows[module].strip().replace("every rule", ", ".join(RULES)).split(", ")
        assert written == rules, module
