"""gan_numpy is a generic engine: it imports only NumPy and the standard library."""
import ast
import pathlib
import sys

ENGINE = pathlib.Path(__file__).resolve().parents[1] / "gan_numpy"


def imported_modules(path):
    """Top-level names of every module a Python file imports (absolute imports)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add("." if node.level else node.module.split(".")[0])
    return names


def test_the_engine_imports_only_numpy_the_standard_library_and_itself():
    allowed = set(sys.stdlib_module_names) | {"numpy", "gan_numpy"}
    files = sorted(ENGINE.glob("*.py"))
    assert len(files) >= 8
    for path in files:
        foreign = imported_modules(path) - allowed
        assert not foreign, f"{path.name} imports {sorted(foreign)}"
