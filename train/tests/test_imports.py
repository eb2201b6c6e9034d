"""No import circles in webfold_train (issue 29): module A importing B while B imports A, directly
or through other modules. Every import counts, those inside functions too (a function-local
import is how a circle hides from Python's import-time error)."""
import ast
import os

PACKAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "webfold_train")


def modules(root, package):
    """Dotted module name -> (file, is a package's __init__) for every .py file under `root`."""
    out = {}
    for folder, _, files in os.walk(root):
        for f in files:
            if not f.endswith(".py"):
                continue
            rel = os.path.relpath(os.path.join(folder, f), root)[:-3].split(os.sep)
            init = rel[-1] == "__init__"
            if init:
                rel = rel[:-1]
            out[".".join([package] + rel)] = (os.path.join(folder, f), init)
    return out


def imports(name, path, init, known):
    """The modules of `known` that module `name` (file `path`) imports."""
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    here = name.split(".") if init else name.split(".")[:-1]
    found = set()

    def add(dotted):
        # `from x import y` names a module x.y when it is one, else an attribute of x.
        parts = dotted.split(".")
        for k in range(len(parts), 0, -1):
            candidate = ".".join(parts[:k])
            if candidate in known:
                if candidate != name:
                    found.add(candidate)
                return

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[:len(here) - (node.level - 1)] if node.level > 1 else here
                base = ".".join(base + ([node.module] if node.module else []))
            else:
                base = node.module
            for alias in node.names:
                add(f"{base}.{alias.name}")
    return found


def circles(graph):
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
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
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def import_graph(root, package):
    known = modules(root, package)
    return {name: imports(name, path, init, known) for name, (path, init) in known.items()}


def test_the_checker_finds_a_circle_through_a_function_local_import(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .b import f\n")
    (pkg / "b.py").write_text("def f():\n    from .a import g  # hidden from import-time errors\n    return g\n")
    (pkg / "c.py").write_text("from . import a\nfrom .sub import d\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "d.py").write_text("from .. import c\n")
    (pkg / "e.py").write_text("import pkg.a\n")
    graph = import_graph(str(pkg), "pkg")
    assert graph["pkg.b"] == {"pkg.a"} and graph["pkg.e"] == {"pkg.a"}
    assert circles(graph) == [["pkg.a", "pkg.b"], ["pkg.c", "pkg.sub.d"]]


def test_webfold_train_has_no_import_circles():
    graph = import_graph(PACKAGE, "webfold_train")
    # The checker sees the package's real imports (a check that reads nothing would pass too).
    assert "webfold_train.checkpoint_files" in graph["webfold_train.lean_checkpoint"]
    assert "webfold_train.lean_checkpoint" in graph["webfold_train.train"]
    assert "webfold_train.model.trunk" in graph["webfold_train.model.structure"]
    assert circles(graph) == []
