"""application/x-parquet in record batches: the file's column names, or ``headers`` positionally."""

from __future__ import annotations

from collections.abc import Iterator

import fsspec
import pandas as pd

from clarion.data.options import ReadOptions
from clarion.data.sources import DataFile
from clarion.errors import DataError


def parquet_chunks(data_file: DataFile, options: ReadOptions) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    try:
        with fsspec.open(data_file.uri, "rb") as handle:
            parquet = pq.ParquetFile(handle)
            names = parquet.schema_arrow.names
            if options.headers and len(options.headers) != len(names):
                raise DataError(
                    f"{data_file.name}: headers in config do not match the number of columns in the dataset "
                    f"({len(options.headers)} headers, {len(names)} columns)"
                )
            for batch in parquet.iter_batches(batch_size=options.chunk_rows):
                frame = batch.to_pandas()
                if options.headers:
                    frame.columns = list(options.headers)
                yield frame
    except DataError:
        raise
    except OSError as exc:
        raise DataError(f"{data_file.name}: cannot read Parquet: {exc}") from None
    except Exception as exc:  # pyarrow raises ArrowInvalid for corrupt files
        if type(exc).__module__.startswith("pyarrow"):
            raise DataError(f"{data_file.name}: cannot read Parquet: {exc}") from None
        raise
