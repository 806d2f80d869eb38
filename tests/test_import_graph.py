"""Every dependency runs one way (issue 13): the project's import graph, read with `ast`
from the source (imports at module level and inside functions alike, relative ones resolved;
migrations left out), has no cycle, and no package imports one on a floor above its own.

The floors, bottom to top: the ground (`portal`: settings, shell, money, clock, the
transition runner and its `portal.changes` registry), then the domain apps, then the edges
and what drives the product from outside. Peers share a floor and import nothing of each
other. A floor above reaches down by importing; a floor below is told by the ones above
registering with it (a `portal.changes` listener, a periodic task) in their `AppConfig.ready`.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FLOORS = [
    {"portal"},
    {"enrollment"},
    {"exports"},
    {"claims"},
    {"notifications"},
    {"invoicing", "payouts", "outbox"},
    {"platform_api"},
    {"simulator"},
    {"demo"},
]
FLOOR = {package: n for n, floor in enumerate(FLOORS) for package in floor}


def package_of(module: str) -> str:
    """The top-level package a module is judged by."""
    return module.split(".")[0]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files() -> dict[str, Path]:
    """{module: file} of every project package, migrations left out."""
    files = {}
    for package in FLOOR:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.relative_to(ROOT).parts:
                files[module_name(path)] = path
    return files


MODULES = source_files()


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The absolute name `from <node.module>` means in `module` (relative levels resolved)."""
    if not node.level:
        return node.module or ""
    package = module.split(".")
    if path.name != "__init__.py":
        package.pop()  # a module's level 1 is its own package
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _project_module(name: str) -> str | None:
    """The project module `name` is, or lives in (`claims.models.Claim` → `claims.models`)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def imports(module: str, path: Path) -> list[tuple[str, int]]:
    """(imported project module, line) for every import statement anywhere in the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, path, node)
            # `from a import b`: the submodule a.b when there is one, else a itself
            names = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            target = _project_module(name)
            if target is not None and target != module:
                found.append((target, node.lineno))
    return list(dict.fromkeys(found))  # `from m import a, b`: m once


GRAPH = {module: imports(module, path) for module, path in MODULES.items()}


def where(module: str, line: int) -> str:
    return f"{MODULES[module].relative_to(ROOT)}:{line}"


def find_cycles(graph: dict[str, list[tuple[str, int]]]) -> list[list[str]]:
    """One cycle, as [a, b, …, a], through each group of modules that reach each other
    (each strongly connected component of more than one module, Tarjan's, iterative)."""
    index, low, on_stack, stack, groups = {}, {}, set(), [], []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for target, _line in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(graph[target])))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(group)
    return [_cycle_within(graph, group) for group in groups]


def _cycle_within(graph, group: set[str]) -> list[str]:
    """The shortest way from the group's first module back to itself, inside the group."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    for node in queue:
        for target, _line in graph[node]:
            if target == start:
                return [*paths[node], start]
            if target in group and target not in paths:
                paths[target] = [*paths[node], target]
                queue.append(target)
    raise AssertionError(f"no cycle through {start}")  # a component always has one


def test_the_graph_sees_the_imports_it_judges():
    """The check cannot pass by reading nothing: known arrows of the tree are found."""
    assert "claims.services.decisions" in GRAPH
    targets = {target for target, _line in GRAPH["claims.services.decisions"]}
    assert {"claims.models", "portal.fsm"} <= targets
    assert any(target == "portal.changes" for target, _ in GRAPH["outbox.apps"])  # in ready()


def test_no_module_comes_back_to_itself_through_its_imports():
    cycles = find_cycles(GRAPH)
    assert not cycles, "import cycles:\n" + "\n".join(" → ".join(c) for c in cycles)


def test_no_package_imports_one_on_a_floor_above_its_own():
    upward = [
        f"{where(module, line)}: {module} imports {target}"
        for module, edges in GRAPH.items()
        for target, line in edges
        if FLOOR[package_of(target)] > FLOOR[package_of(module)]
    ]
    assert not upward, "imports from a lower floor to a higher one:\n" + "\n".join(upward)


def test_the_peers_on_one_floor_import_nothing_of_each_other():
    across = [
        f"{where(module, line)}: {module} imports {target}"
        for module, edges in GRAPH.items()
        for target, line in edges
        if package_of(target) != package_of(module)
        and FLOOR[package_of(target)] == FLOOR[package_of(module)]
    ]
    assert not across, "imports between peers:\n" + "\n".join(across)


def test_every_installed_package_has_a_floor():
    """A new package is placed on a floor before it can be judged."""
    import tomllib

    listed = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert set(listed["packages"]) <= set(FLOOR), set(listed["packages"]) - set(FLOOR)


def test_each_cycle_is_found_and_printed_in_order():
    graph = {
        **{"a": [("b", 1)], "b": [("c", 2)], "c": [("a", 3)], "d": [("a", 4)]},
        **{"x": [("y", 5)], "y": [("x", 6), ("d", 7)]},
    }
    assert find_cycles(graph) == [["a", "b", "c", "a"], ["x", "y", "x"]]
    assert find_cycles({"a": [("b", 1)], "b": [], "c": [("a", 2)]}) == []
