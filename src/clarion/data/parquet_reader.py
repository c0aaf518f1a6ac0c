"""application/x-parquet in record batches, columns matched by name.

The file's column names are the column names. With ``headers`` in the config, the file's columns are
looked up by name (letter case ignored) and the chunks come in ``headers`` order; a file whose columns
carry no names (positional names ``0, 1, ...``, ``_c0, _c1, ...`` or ``column_0, ...``) is named by
``headers`` in order. Names that disagree with ``headers`` are a DataError listing both.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import pandas as pd

from clarion.data.options import ReadOptions
from clarion.data.sources import DataFile, open_binary
from clarion.errors import DataError

_POSITIONAL = (re.compile(r"\d+"), re.compile(r"_c\d+"), re.compile(r"column_\d+"))


def parquet_chunks(data_file: DataFile, options: ReadOptions) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    try:
        with open_binary(data_file) as handle:
            parquet = pq.ParquetFile(handle)
            names = list(parquet.schema_arrow.names)
            rename = parquet_names(names, options.headers, data_file.name)
            for batch in parquet.iter_batches(batch_size=options.chunk_rows):
                frame = batch.to_pandas()
                if rename is not None:
                    frame = frame.rename(columns=dict(zip(names, rename, strict=True)))[list(options.headers or ())]
                yield frame
    except DataError:
        raise
    except OSError as exc:
        raise DataError(f"{data_file.name}: cannot read Parquet: {exc}") from None
    except Exception as exc:  # pyarrow raises ArrowInvalid for corrupt files
        if type(exc).__module__.startswith("pyarrow"):
            raise DataError(f"{data_file.name}: cannot read Parquet: {exc}") from None
        raise


def parquet_names(names: Sequence[str], headers: Sequence[str] | None, file_name: str) -> list[str] | None:
    """The config name of each file column (file order), or None to keep the file's names as they are."""
    if not headers:
        return None
    headers = list(headers)
    if list(names) == headers:
        return None
    if len(names) == len(headers) and _positional(names):
        return headers
    by_folded = {h.casefold(): h for h in headers}
    folded = [n.casefold() for n in names]
    if len(folded) == len(by_folded) and set(folded) == set(by_folded) and len(set(folded)) == len(folded):
        return [by_folded[n] for n in folded]
    raise DataError(
        f"{file_name}: the file's columns {list(names)} do not match headers in the config {headers} "
        "(Parquet columns are matched by name)"
    )


def _positional(names: Sequence[str]) -> bool:
    """Whether the names only number the columns (0, 1, ... / _c0, _c1, ... / column_0, ...)."""
    for pattern in _POSITIONAL:
        if all(pattern.fullmatch(n) for n in names):
            return [int(re.sub(r"\D", "", n)) for n in names] == list(range(len(names)))
    return False
