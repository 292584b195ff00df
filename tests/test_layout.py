"""The package's shape (issue 15): no import cycles, not even through imports inside functions,
and no private name (`_x`) imported from another module. Read from the source with ast, so
that it holds for every import a module can make, not only those a test run happens to take."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "kfollow"


def module_name(path: Path) -> str:
    parts = ["kfollow", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str, source: str | None = None) -> list[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for every import statement of a module
    (its file, or `source` as if it were its text), at any depth (inside functions too)."""
    path = MODULES.get(name, PACKAGE / "x.py")
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source if source is not None else path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names if alias.name.startswith("kfollow")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if not target.startswith("kfollow"):
                continue
            names = [alias.name for alias in node.names]
            # `from . import progress` imports a module, not a name of the package
            submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
            found += [(sub, [], node.lineno) for sub in submodules]
            rest = [n for n in names if f"{target}.{n}" not in MODULES]
            if rest:
                found.append((target, rest, node.lineno))
    return found


def graph() -> dict[str, set[str]]:
    return {name: {target for target, _, _ in imports(name) if target != name} for name in MODULES}


def test_every_import_names_a_module_of_the_package() -> None:
    found = [(name, target, line) for name in MODULES for target, _, line in imports(name)]
    assert [f"{name}:{line}: {target}" for name, target, line in found if target not in MODULES] == []


def cycles(edges: dict[str, set[str]]) -> list[str]:
    """Each import cycle found by a depth-first walk, as 'a -> b -> a'."""
    found = []
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in sorted(edges.get(name, ())):
            if state.get(target) == 1:
                found.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target, [*path, target])
        state[name] = 2

    for name in sorted(edges):
        if name not in state:
            visit(name, [name])
    return found


def test_no_import_cycles() -> None:
    assert cycles(graph()) == []


def private_imports(name: str, source: str | None = None) -> list[str]:
    return [
        f"{name}:{line}: {target}.{n}"
        for target, names, line in imports(name, source)
        for n in names
        if n.startswith("_") and target != name
    ]


def test_no_private_name_is_imported_from_another_module() -> None:
    assert [line for name in MODULES for line in private_imports(name)] == []


def test_the_checks_can_fail() -> None:
    """The walker finds what it is there to find: imports inside functions (kfollow.cli's),
    a cycle of two and of three modules, and a private name from a sibling module."""
    assert "kfollow.report" in graph()["kfollow.cli"]
    assert cycles({"a": {"b"}, "b": {"a"}}) == ["a -> b -> a"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a -> b -> c -> a"]
    source = "def f():\n    from .hashing import _secret, mix_into\n"
    assert private_imports("kfollow.read.blocks", source) == ["kfollow.read.blocks:2: kfollow.read.hashing._secret"]


def test_the_public_api_is_what_kfollow_exports() -> None:
    """Every name of kfollow.__all__ resolves (lazily, as the CLI's start-up needs), and each
    is one a type checker sees too (imported under TYPE_CHECKING in kfollow/__init__.py)."""
    import kfollow

    source = (PACKAGE / "__init__.py").read_text("utf-8")
    checked = source[source.index("if TYPE_CHECKING:") : source.index("__version__")]
    for name in kfollow.__all__:
        assert getattr(kfollow, name) is not None
        assert f" {name}," in checked or f" {name}\n" in checked, name
