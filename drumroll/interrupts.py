"""Ctrl-C while a script is still loading (NumPy and SciPy take a second or two) ends it the way
cli.run ends a running one: one line, "interrupted", exit 130, no traceback.

Every script imports this module before anything else; importing it replaces sys.excepthook for
KeyboardInterrupt only (Python itself still ends the process by SIGINT: exit 130). Any other
uncaught exception is printed as Python prints it.
"""
import sys


def _interrupted_in_one_line(kind, value, traceback, python_hook=sys.excepthook):
    if issubclass(kind, KeyboardInterrupt):
        print("interrupted", file=sys.stderr)
    else:
        python_hook(kind, value, traceback)


sys.excepthook = _interrupted_in_one_line
