"""Run every benchmark under bench/ in turn (``make bench``); each prints ratios against bare Starlette."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path


def main() -> None:
    """Run each ``*_bench.py`` next to this file as ``__main__``."""
    for script in sorted(Path(__file__).parent.glob("*_bench.py")):
        print(f"== {script.name}", flush=True)
        sys.argv = [str(script)]
        runpy.run_path(str(script), run_name="__main__")


if __name__ == "__main__":
    main()
