"""Time-series datasets in the three JSON layouts, each built from the same items and read back."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from clarion.config.model import TimeSeriesDataConfig
from clarion.data.sources import DataFile
from clarion.data.timeseries_reader import load_time_series, read_time_series
from clarion.errors import ConfigError, DataError

ITEMS = [
    {"id": "a", "t": ["2024-01-01", "2024-01-02", "2024-01-03"], "x": [5, 6, 4], "r1": [0, 1, 0], "r2": [0.5, None, 2],
     "u1": -1, "u2": "gold"},
    {"id": "b", "t": ["2024-01-02", "2024-01-03"], "x": [0, 4], "r1": [1, 1], "r2": [1, 0], "u1": 0, "u2": "silver"},
]  # fmt: skip


def item_records() -> list:
    return [dict(item) for item in ITEMS]


def timestamp_records() -> list:
    return [
        {"id": it["id"], "t": t, "x": it["x"][i], "r1": it["r1"][i], "r2": it["r2"][i], "u1": it["u1"], "u2": it["u2"]}
        for it in ITEMS
        for i, t in enumerate(it["t"])
    ]


def columns() -> dict:
    records = timestamp_records()
    return {key: [r[key] for r in records] for key in records[0]}


def config(dataset_format: str, prefix: str) -> TimeSeriesDataConfig:
    return TimeSeriesDataConfig(
        item_id=f"{prefix}id",
        timestamp=f"{prefix}t",
        target_time_series=f"{prefix}x",
        related_time_series=[f"{prefix}r1", f"{prefix}r2"],
        static_covariates=[f"{prefix}u1", f"{prefix}u2"],
        dataset_format=dataset_format,
    )


@pytest.mark.parametrize(
    ("document", "dataset_format", "prefix"),
    [(item_records(), "item_records", "[*]."), (timestamp_records(), "timestamp_records", "[*]."),
     (columns(), "columns", "")],
)  # fmt: skip
def test_layouts_read_the_same_items(document, dataset_format: str, prefix: str) -> None:
    items = read_time_series(document, config(dataset_format, prefix), "data.json")
    assert [it.item_id for it in items] == ["a", "b"]
    for got, want in zip(items, ITEMS, strict=True):
        assert got.timestamps == tuple(want["t"])
        expected = np.array([want["x"], want["r1"], [np.nan if v is None else v for v in want["r2"]]], dtype=float)
        np.testing.assert_array_equal(got.series, expected)
        assert got.static_covariates == (want["u1"], want["u2"])


def test_gzip_file(tmp_path: Path) -> None:
    path = tmp_path / "data.json.gz"
    path.write_bytes(gzip.compress(json.dumps({"items": item_records()}).encode()))
    cfg = config("item_records", "items[*].")
    items = load_time_series(DataFile(uri=str(path), name="data.json.gz"), cfg)
    assert [it.series.shape for it in items] == [(3, 3), (3, 2)]


def test_errors_name_key_item_and_file() -> None:
    doc = item_records()
    doc[1]["x"] = [0]
    with pytest.raises(
        DataError, match=r"data.json: item 'b': time_series_data_config.target_time_series has 1 values"
    ):
        read_time_series(doc, config("item_records", "[*]."), "data.json")
    records = timestamp_records()
    records[1]["u1"] = 7
    with pytest.raises(DataError, match=r"item 'a': time_series_data_config.static_covariates\[0\] differs"):
        read_time_series(records, config("timestamp_records", "[*]."), "data.json")
    records = timestamp_records()
    records[0]["x"] = "five"
    with pytest.raises(DataError, match=r"target_time_series\[0\] is 'five'"):
        read_time_series(records, config("timestamp_records", "[*]."), "data.json")
    with pytest.raises(DataError, match=r"time_series_data_config.related_time_series\[0\] \('nope'\) gives NoneType"):
        cfg = config("columns", "").model_copy(update={"related_time_series": ["nope"]})
        read_time_series(columns(), cfg, "data.json")
    by_index = TimeSeriesDataConfig(item_id=0, timestamp=1, target_time_series=2)
    with pytest.raises(DataError, match=r"data.json: record 1 is not a list of at least 3 values"):
        read_time_series([["a", 1, 2.0], ["a", 2]], by_index, "data.json")
    with pytest.raises(DataError, match="must be a list of records"):
        read_time_series({"a": 1}, by_index, "data.json")
    with pytest.raises(ConfigError, match="cannot be mixed"):
        read_time_series([], TimeSeriesDataConfig(item_id=0, timestamp="t", target_time_series=2), "data.json")
