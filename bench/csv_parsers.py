"""CSV parsing alone, in process: clarion's reader against pandas and pyarrow on the whole-process bench files.

    .venv/bin/python bench/csv_parsers.py [--cases pre-1m post-1m] [--repeats 3]

Files: ``bias_whole_process.py``'s (UCI Adult resampled to 1M rows; ``pre-1m``: the five columns a
pre-training run parses, four of them text; ``post-1m``: Adult label-encoded, every column, all integers).
Sides, each timed ``--repeats`` times (wall and CPU seconds of this process, threads included; minima
and medians):

- ``clarion``: ``clarion.data.read_chunks`` (byte blocks parsed by pandas' C reader, field counts checked).
- ``pandas``: one ``pd.read_csv`` over the whole file (no field-count check with ``usecols``).
- ``pyarrow``: ``pyarrow.csv.read_csv`` with pyarrow's own types, then ``to_pandas`` (its types are not
  pandas': " 13" stays text, ISO dates become timestamps, floats are rounded by another algorithm).
- ``pyarrow exact``: what a pyarrow reader must do to give pandas' types: every column read as dictionary-
  encoded text, then each batch's distinct texts typed by pandas (``clarion.bias.retype.csv_column_types``)
  and expanded by the dictionary codes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from bias_whole_process import CASES

from clarion.bias.retype import csv_column_types
from clarion.data import ReadOptions, read_chunks

PRE_COLUMNS = ["age", "education", "race", "sex", "income"]


def sides(job: dict) -> dict[str, Callable[[], int]]:
    path = job["path"]
    names = job["names"] or list(pd.read_csv(path, nrows=0).columns)
    skip = 0 if job["names"] else 1
    needed = PRE_COLUMNS if job["model"] is None else names
    usecols = tuple(needed) if job["model"] is None else None
    read = pacsv.ReadOptions(column_names=names, skip_rows=skip)

    def clarion() -> int:
        options = ReadOptions(dataset_type="text/csv", headers=tuple(names), usecols=usecols)
        return sum(len(chunk) for chunk in read_chunks(path, options))

    def pandas() -> int:
        return len(pd.read_csv(path, header=None, names=names, skiprows=skip, usecols=usecols))

    def pyarrow() -> int:
        return len(pacsv.read_csv(path, read_options=read, convert_options=convert(needed, None)).to_pandas())

    def pyarrow_exact() -> int:
        text = pa.dictionary(pa.int32(), pa.string())
        reader = pacsv.open_csv(path, read_options=read, convert_options=convert(needed, text))
        rows = 0
        for batch in reader:
            for column in batch.columns:
                texts = column.dictionary.to_pylist()
                _, typed = csv_column_types(texts, has_missing=column.null_count > 0)
                values = np.array([typed[t] for t in texts] or [np.nan])
                values[column.indices.fill_null(0).to_numpy()]
            rows += batch.num_rows
        return rows

    return {"clarion": clarion, "pandas": pandas, "pyarrow": pyarrow, "pyarrow exact": pyarrow_exact}


def convert(columns: list[str], text: pa.DataType | None) -> pacsv.ConvertOptions:
    types = {name: text for name in columns} if text is not None else {}
    return pacsv.ConvertOptions(include_columns=columns, column_types=types, strings_can_be_null=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", choices=["pre-1m", "post-1m"], default=["pre-1m", "post-1m"])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, pyarrow {pa.__version__}, pandas {pd.__version__}")
    for name in args.cases:
        runs = sides(CASES[name]())
        wall: dict[str, list[float]] = {side: [] for side in runs}
        cpu: dict[str, list[float]] = {side: [] for side in runs}
        for _ in range(args.repeats):
            for side, run in runs.items():  # alternating, so a load spike hits every side
                start, busy = time.perf_counter(), time.process_time()
                run()
                wall[side].append(time.perf_counter() - start)
                cpu[side].append(time.process_time() - busy)
        print(f"\n== {name} ==  (load average {' '.join(f'{v:.1f}' for v in os.getloadavg())})")
        for side in runs:
            print(
                f"{side:<14} wall min {min(wall[side]):6.2f} s median {statistics.median(wall[side]):6.2f} s   "
                f"cpu min {min(cpu[side]):6.2f} s median {statistics.median(cpu[side]):6.2f} s"
            )


if __name__ == "__main__":
    main()
