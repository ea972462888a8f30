"""`make bench`: run every benchmark in this folder in turn and print their tables."""
import importlib
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

for path in sorted(HERE.glob("bench_*.py")):
    print(f"\n## {path.stem}\n", flush=True)
    importlib.import_module(path.stem).main()
