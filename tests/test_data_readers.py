"""Dataset readers: CSV, JSON Lines, JSON, Parquet; files, directories, S3 URIs; bounded chunks; clear errors."""

from __future__ import annotations

import gzip
import json

import pandas as pd
import pytest

from clarion.data import ReadOptions, read_chunks
from clarion.errors import DataError, NotSupportedError

ROWS = [[25, "M", 1.5, 0], [40, "F", 2.5, 1], [33, "F", 0.5, 1], [51, "M", 3.0, 0], [29, "F", 1.0, 0]]
HEADERS = ("age", "sex", "score", "label")


def csv_text(rows, header=None):
    lines = [",".join(header)] if header else []
    lines += [",".join(str(v) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def read_all(uri, **options) -> pd.DataFrame:
    return pd.concat(list(read_chunks(str(uri), ReadOptions(**options))), ignore_index=True)


def test_csv_with_headers_from_config(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text(csv_text(ROWS))
    frame = read_all(path, dataset_type="text/csv", headers=HEADERS)
    assert list(frame.columns) == list(HEADERS)
    assert frame["age"].tolist() == [25, 40, 33, 51, 29]
    assert frame["sex"].tolist() == ["M", "F", "F", "M", "F"]


def test_csv_header_row_equal_to_config_headers_is_skipped(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text(csv_text(ROWS, HEADERS))
    frame = read_all(path, dataset_type="text/csv", headers=HEADERS)
    assert len(frame) == 5 and frame["age"].iloc[0] == 25


def test_csv_header_row_without_config_headers(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text(csv_text(ROWS, HEADERS))
    assert list(read_all(path, dataset_type="text/csv").columns) == list(HEADERS)


def test_numeric_csv_without_any_headers_gets_clarify_names(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("1,2\n3,4\n")
    frame = read_all(path, dataset_type="text/csv")
    assert list(frame.columns) == ["column_0", "column_1"] and frame["column_1"].tolist() == [2, 4]


def test_chunks_are_bounded_and_cover_every_row(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text(csv_text(ROWS * 3))
    chunks = list(read_chunks(str(path), ReadOptions(dataset_type="text/csv", headers=HEADERS, chunk_rows=4)))
    assert [len(c) for c in chunks] == [4, 4, 4, 3]


def test_directory_of_part_files_in_sorted_order(tmp_path):
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "part-00001.csv").write_text(csv_text(ROWS[3:]))
    (tmp_path / "parts" / "part-00000.csv").write_text(csv_text(ROWS[:3]))
    (tmp_path / "parts" / "_SUCCESS").write_text("")
    (tmp_path / "parts" / ".part-00000.csv.crc").write_text("x")
    frame = read_all(tmp_path / "parts", dataset_type="text/csv", headers=HEADERS)
    assert frame["age"].tolist() == [25, 40, 33, 51, 29]


def test_bad_csv_row_names_file_and_line(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text(csv_text(ROWS[:2]) + "7,F,1.0,0,EXTRA\n" + csv_text(ROWS[2:]))
    with pytest.raises(DataError, match=r"data.csv:3: Expected 4 fields in line 3, saw 5"):
        read_all(path, dataset_type="text/csv", headers=HEADERS)


def test_short_csv_row_is_an_error_not_missing_values(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text(csv_text(ROWS[:3]) + "7,F\n" + csv_text(ROWS[3:]))
    with pytest.raises(DataError, match=r"data.csv:4: Expected 4 fields in line 4, saw 2"):
        read_all(path, dataset_type="text/csv", headers=HEADERS, chunk_rows=2)


def test_empty_values_and_quoted_newlines_are_fine(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text('1,"two\nlines",,0\n\n2,"say ""hi""",1.5,1\n')
    frame = read_all(path, dataset_type="text/csv", headers=HEADERS, chunk_rows=1)
    assert frame["sex"].tolist() == ["two\nlines", 'say "hi"']
    assert frame["score"].isna().tolist() == [True, False]


def test_bad_row_line_in_a_later_chunk(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text(csv_text(ROWS * 2) + "1,2,3,4,5\n")
    with pytest.raises(DataError, match=r"data.csv:11: Expected 4 fields in line 11, saw 5"):
        read_all(path, dataset_type="text/csv", headers=HEADERS, chunk_rows=3)


@pytest.mark.parametrize("compressed", [False, True])
@pytest.mark.parametrize("usecols", [None, ("age", "label")])
def test_bad_row_line_many_blocks_into_a_file_with_bom_header_and_quoted_line_breaks(tmp_path, compressed, usecols):
    """An error in a late byte block (the file is many blocks long) names the line an editor shows."""
    lines = [",".join(HEADERS)]
    for i in range(60_000):
        lines.append(f'{i % 90},"two\nlines",{i % 7}.5,{i % 2}' if i % 1000 == 0 else f"{i % 90},F,{i % 7}.5,{i % 2}")
    bad_index = 50_000
    lines[bad_index] = "1,F,2.5,0,EXTRA"
    text = "\ufeff" + "\n".join(lines) + "\n"
    expected_line = 1 + "\n".join(lines[:bad_index]).count("\n") + 1  # every line break before the bad row
    assert expected_line == bad_index + 1 + sum(1 for i in range(bad_index - 1) if i % 1000 == 0)
    path = tmp_path / ("data.csv.gz" if compressed else "data.csv")
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data) if compressed else data)
    options = {"dataset_type": "text/csv", "headers": HEADERS, "chunk_rows": 1000, "usecols": usecols}
    with pytest.raises(
        DataError, match=rf"{path.name}:{expected_line}: Expected 4 fields in line {expected_line}, saw 5"
    ):
        read_all(path, **options)
    lines[bad_index] = "1,F,2.5,0"
    path.write_bytes(
        gzip.compress(("\n".join(lines) + "\n").encode()) if compressed else ("\n".join(lines) + "\n").encode()
    )
    assert len(read_all(path, **options)) == 60_000


def test_bad_csv_row_line_counts_the_header_row(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text(csv_text(ROWS[:2], HEADERS) + "7,F,1.0,0,EXTRA\n")
    with pytest.raises(DataError, match=r"data.csv:4: "):
        read_all(path, dataset_type="text/csv", headers=HEADERS)


def test_header_count_mismatch(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text(csv_text(ROWS))
    with pytest.raises(DataError, match="headers in config do not match the number of columns"):
        read_all(path, dataset_type="text/csv", headers=("a", "b"))


def test_missing_dataset(tmp_path):
    with pytest.raises(DataError, match="dataset not found"):
        read_all(tmp_path / "nope.csv", dataset_type="text/csv")


def test_jsonlines_features_and_label_by_jmespath(tmp_path):
    path = tmp_path / "data.jsonl"
    records = [{"data": {"features": {"values": row[:3]}, "label": row[3]}} for row in ROWS]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    frame = read_all(
        path,
        dataset_type="application/jsonlines",
        headers=HEADERS,
        features="data.features.values",
        label="data.label",
    )
    assert list(frame.columns) == list(HEADERS)
    assert frame["label"].tolist() == [0, 1, 1, 0, 0]
    assert frame["sex"].tolist() == ["M", "F", "F", "M", "F"]


def test_jsonlines_bad_line_names_file_and_line(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text('{"f": [1, 2], "y": 0}\n\n{"f": [1, 2], "y": 0\n')
    with pytest.raises(DataError, match=r"data.jsonl:3: invalid JSON"):
        read_all(path, dataset_type="application/jsonlines", features="f", label="y")
    path.write_text('{"f": [1, 2], "y": 0}\n{"f": [1], "y": 0}\n')
    with pytest.raises(DataError, match=r"data.jsonl:2: expected 2 features, got 1"):
        read_all(path, dataset_type="application/jsonlines", features="f", label="y")


def test_json_document(tmp_path):
    path = tmp_path / "data.json"
    path.write_text(json.dumps({"rows": [r[:3] for r in ROWS], "labels": [r[3] for r in ROWS]}))
    frame = read_all(path, dataset_type="application/json", headers=HEADERS, features="rows", label="labels")
    assert frame["label"].tolist() == [0, 1, 1, 0, 0] and frame["score"].tolist() == [1.5, 2.5, 0.5, 3.0, 1.0]


def test_parquet_in_batches(tmp_path):
    frame = pd.DataFrame(ROWS, columns=list(HEADERS))
    frame.to_parquet(tmp_path / "data.parquet")
    chunks = list(
        read_chunks(str(tmp_path / "data.parquet"), ReadOptions(dataset_type="application/x-parquet", chunk_rows=2))
    )
    assert [len(c) for c in chunks] == [2, 2, 1]
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), frame)


def test_corrupt_parquet(tmp_path):
    (tmp_path / "data.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(DataError, match="data.parquet: cannot read Parquet"):
        read_all(tmp_path / "data.parquet", dataset_type="application/x-parquet")


def test_unsupported_dataset_type(tmp_path):
    (tmp_path / "x").write_text("")
    with pytest.raises(NotSupportedError):
        read_all(tmp_path / "x", dataset_type="application/x-image")


@pytest.mark.slow
def test_s3_uri_through_a_local_moto_server(s3_bucket):
    import s3fs

    fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": s3_bucket.endpoint})
    fs.pipe(f"{s3_bucket.name}/data/part-0.csv", csv_text(ROWS[:2]).encode())
    fs.pipe(f"{s3_bucket.name}/data/part-1.csv", csv_text(ROWS[2:]).encode())
    frame = read_all(f"s3://{s3_bucket.name}/data", dataset_type="text/csv", headers=HEADERS)
    assert frame["age"].tolist() == [25, 40, 33, 51, 29]
