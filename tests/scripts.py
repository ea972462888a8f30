"""Running a script's main as the command line does, for the tests."""
import pytest

from drumroll.cli import run


def run_script(main, capsys, *argv):
    """main(argv) run by drumroll.cli.run, the way `python script.py ARGS` runs it
    -> (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exit_info:
        run(main, [str(arg) for arg in argv])
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err
