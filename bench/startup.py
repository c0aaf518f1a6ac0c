"""Start-up time of the command line: ``clarion --help`` and ``clarion validate`` against interpreter floors.

    .venv/bin/python bench/startup.py [--repeats 7]

Each command runs as a fresh process ``--repeats`` times (alternating with the others, so a load spike on a
shared machine hits all of them); the script prints min and median wall seconds. Floors: the bare interpreter,
the imports every CLI command needs (typer, and pydantic for the config), and the same with one pydantic model
defined and validated (what ``validate`` cannot do without). Goal: under 0.3 s for both.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "examples" / "adult" / "analysis_config.json"

# pydantic loads its model machinery on the first BaseModel subclass; validating a config cannot do without it
MODEL_FLOOR = "import typer\nfrom pydantic import BaseModel\nclass M(BaseModel):\n    a: int\nM(a=1)"

COMMANDS = {
    "python -c pass (floor)": [sys.executable, "-c", "pass"],
    "import typer, pydantic (floor)": [sys.executable, "-c", "import typer, pydantic"],
    "+ one pydantic model (floor)": [sys.executable, "-c", MODEL_FLOOR],
    "clarion --help": [sys.executable, "-m", "clarion.cli", "--help"],
    "clarion validate": [sys.executable, "-m", "clarion.cli", "validate", str(CONFIG)],
}


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for command in COMMANDS.values():  # warm the file cache once
        wall(command)
    for _ in range(args.repeats):
        for name, command in COMMANDS.items():
            times[name].append(wall(command))
    print(f"{'command':<32}{'min s':>8}{'median s':>10}")
    for name, values in times.items():
        print(f"{name:<32}{min(values):>8.3f}{statistics.median(values):>10.3f}")


if __name__ == "__main__":
    main()
