"""What a dataset reader needs from the config."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_CHUNK_ROWS = 200_000
TEXT_COLUMNS_ATTR = "clarion_text_columns"  # DataFrame.attrs key: columns a reader left as raw CSV text


@dataclass(frozen=True)
class ReadOptions:
    """What a reader needs from the config."""

    dataset_type: str
    headers: tuple[str, ...] | None = None
    features: str | None = None
    label: str | int | None = None
    predicted_label: str | int | None = None
    joinsource: str | int | None = None
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    usecols: tuple[str, ...] | None = None  # CSV only: parse just these columns (names from headers)
    text_columns: tuple[str, ...] | None = None  # CSV only: keep these columns as read (text; typed later)
