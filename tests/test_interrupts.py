"""Ctrl-C while a script is still loading: one line and exit 130, as once it runs."""
import ast
import pathlib
import signal
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
SCRIPTS = sorted(path for path in REPO.glob("*.py") if "run(main" in path.read_text())


def python(code):
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=60)


def test_ctrl_c_while_loading_is_one_line_and_exit_130():
    done = python("import drumroll.interrupts\nraise KeyboardInterrupt")
    assert done.stderr == "interrupted\n"
    assert done.returncode in (130, -signal.SIGINT)


def test_any_other_error_while_loading_is_printed_as_python_prints_it():
    done = python("import drumroll.interrupts\nraise ValueError('broken')")
    assert "Traceback" in done.stderr and "ValueError: broken" in done.stderr
    assert done.returncode == 1


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_every_script_imports_the_hook_before_anything_else(script):
    first = next(node for node in ast.parse(script.read_text()).body
                 if isinstance(node, (ast.Import, ast.ImportFrom)))
    assert isinstance(first, ast.Import) and first.names[0].name == "drumroll.interrupts"
