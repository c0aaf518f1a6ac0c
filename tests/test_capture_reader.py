"""SageMaker data-capture files and Model Monitor ground truth, written here from the documented layout, read and
merged by event id; the merged window is checked row by row against the rows that were 'sent'."""

import base64
import json

import numpy as np
import pandas as pd
import pytest

from clarion.config import load_config
from clarion.data.capture_reader import (
    merge_ground_truth,
    parse_inputs,
    parse_outputs,
    read_capture,
    read_ground_truth,
    row_metadata,
)
from clarion.errors import DataError
from clarion.monitor.capture import capture_dataset, is_capture
from clarion.predictors.codecs import ResponseCodec

COLUMNS = ["age", "hours", "sex"]
ROWS = [[39, 40, 1], [50, 13, 0], [38, 40, 1], [53, 40, 0], [28, 40, 0]]
SCORES = [0.8, 0.3, 0.55, 0.1, 0.49]
LABELS = [1, 0, 1, 1, 0]


def body(data: str, content_type: str, mode: str, encoding: str) -> dict:
    text = base64.b64encode(data.encode()).decode() if encoding == "BASE64" else data
    return {"observedContentType": content_type, "mode": mode, "data": text, "encoding": encoding}


def csv_line(row) -> str:
    return ",".join(str(v) for v in row)


@pytest.fixture
def capture(tmp_path):
    """Four requests: CSV, BASE64 CSV, a two-row CSV request, and a JSON Lines request with inferenceId."""
    records = [
        ("e-0", None, body(csv_line(ROWS[0]), "text/csv", "INPUT", "CSV"), body("0.8", "text/csv", "OUTPUT", "CSV")),
        ("e-1", None, body(csv_line(ROWS[1]), "text/csv", "INPUT", "BASE64"),
         body("0.3", "text/csv; charset=utf-8", "OUTPUT", "BASE64")),
        ("e-2", None, body(csv_line(ROWS[2]) + "\n" + csv_line(ROWS[3]), "text/csv", "INPUT", "CSV"),
         body("0.55\n0.1", "text/csv", "OUTPUT", "CSV")),
        ("e-3", "inf-3", body(json.dumps({"features": ROWS[4]}), "application/jsonlines", "INPUT", "JSON"),
         body(json.dumps({"score": 0.49}), "application/jsonlines", "OUTPUT", "JSON")),
    ]  # fmt: skip
    folder = tmp_path / "capture" / "AllTraffic" / "2024" / "06" / "10" / "13"
    folder.mkdir(parents=True)
    lines = []
    for i, (event, inference, request, response) in enumerate(records):
        meta = {"eventId": event, "inferenceTime": f"2024-06-10T13:00:0{i}Z"}
        if inference:
            meta["inferenceId"] = inference
        lines.append(json.dumps({"captureData": {"endpointInput": request, "endpointOutput": response},
                                 "eventMetadata": meta, "eventVersion": "0"}))  # fmt: skip
    (folder / "a.jsonl").write_text("\n".join(lines[:2]) + "\n")
    (folder / "b.jsonl").write_text("\n".join(lines[2:]) + "\n\n")
    truth = [("inf-3", "0"), ("e-2", "1\n1"), ("e-0", "1"), ("e-1", "MA==")]  # e-1 BASE64 of "0"
    gt = tmp_path / "ground_truth.jsonl"
    gt.write_text(
        "\n".join(
            json.dumps({"groundTruthData": {"data": d, "encoding": "BASE64" if e == "e-1" else "CSV"},
                        "eventMetadata": {"eventId": e}, "eventVersion": "0"})
            for e, d in truth
        ) + "\n"
    )  # fmt: skip
    return tmp_path / "capture", gt


def test_records_are_read_in_path_order_and_decoded(capture):
    records = read_capture(str(capture[0]))
    assert [r.event_id for r in records] == ["e-0", "e-1", "e-2", "e-3"]
    assert records[1].input.text == csv_line(ROWS[1]) and records[1].input.encoding == "BASE64"
    assert records[1].output.text == "0.3"
    assert records[3].merge_key == "inf-3" and records[0].merge_key == "e-0"
    assert records[0].inference_time == "2024-06-10T13:00:00Z"
    assert records[2].where.endswith("b.jsonl:1")


def test_inputs_outputs_and_ground_truth_merge_row_by_row(capture):
    records = read_capture(str(capture[0]))
    frame, counts = parse_inputs(records, COLUMNS, "features")
    assert counts == [1, 1, 2, 1]
    pd.testing.assert_frame_equal(frame, pd.DataFrame(ROWS, columns=COLUMNS))
    # Each body is read by its own observedContentType: CSV lines as scores, the JSON Lines one by "score".
    answers = parse_outputs(records, counts, ResponseCodec(accept_type="application/jsonlines", probability="score"))
    np.testing.assert_allclose(answers.scores[:, 0], SCORES)
    labels = merge_ground_truth(records, counts, read_ground_truth(str(capture[1])))
    assert [int(v) for v in labels] == LABELS
    meta = row_metadata(records, counts)
    assert list(meta["event_id"]) == ["e-0", "e-1", "e-2", "e-2", "inf-3"]


def test_capture_dataset_uses_captured_scores_as_predictions(capture, tmp_path):
    raw = {
        "dataset_type": "text/csv", "headers": [*COLUMNS, "target"], "label": "target",
        "label_values_or_threshold": [1], "facet": [{"name_or_index": "sex", "value_or_threshold": [0]}],
        "probability_threshold": 0.5, "features": "features",
        "methods": {"post_training_bias": {"methods": ["DPPL"]}},
        "predictor": {"model_uri": "unused.joblib", "accept_type": "text/csv"},
    }  # fmt: skip
    assert is_capture(str(capture[0])) and not is_capture(str(capture[1]))
    (tmp_path / "plain.csv").write_text("39,40,1,1\n")
    assert not is_capture(str(tmp_path / "plain.csv")) and not is_capture(str(tmp_path / "missing"))
    raw["predictor"]["accept_type"] = "application/jsonlines"
    raw["predictor"]["probability"] = "score"
    # CSV responses are read with the CSV rules, the JSON Lines one with the predictor's "score" expression.
    derived, path = capture_dataset(load_config(raw), raw, str(capture[0]), str(capture[1]), tmp_path / "w")
    assert derived["dataset_type"] == "text/csv" and "features" not in derived
    assert derived["headers"] == [*COLUMNS, "target", "predicted_label"]
    assert derived["predicted_label"] == "predicted_label"
    written = pd.read_csv(path, header=None, names=derived["headers"])
    expected = pd.DataFrame(ROWS, columns=COLUMNS)
    expected["target"] = LABELS
    expected["predicted_label"] = [int(s > 0.5) for s in SCORES]
    pd.testing.assert_frame_equal(written, expected)


def test_errors_name_the_file_and_line(capture, tmp_path):
    records = read_capture(str(capture[0]))
    frame, counts = parse_inputs(records, COLUMNS, "features")
    with pytest.raises(DataError, match=r"b\.jsonl:2: no ground truth for event 'inf-3'"):
        merge_ground_truth(records, counts, {"e-0": ["1"], "e-1": ["0"], "e-2": ["1", "1"]})
    with pytest.raises(DataError, match=r"b\.jsonl:1: ground truth for event 'e-2' has 1 labels, the request has 2"):
        merge_ground_truth(records, counts, {"e-0": ["1"], "e-1": ["0"], "e-2": ["1"]})
    with pytest.raises(DataError, match=r"a\.jsonl:1: captured input row has 3 values, expected 2"):
        parse_inputs(records, COLUMNS[:2], "features")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"captureData": {"endpointInput": {"data": "@@", "encoding": "BASE64"}}, '
                   '"eventMetadata": {"eventId": "x"}}\n')  # fmt: skip
    with pytest.raises(DataError, match=r"bad\.jsonl:1: captureData\.endpointInput: BASE64 data cannot be decoded"):
        read_capture(str(bad))
    bad.write_text('{"eventMetadata": {"eventId": "x"}}\n')
    with pytest.raises(DataError, match=r"bad\.jsonl:1: captureData is missing"):
        read_capture(str(bad))
    bad.write_text('{"captureData": {}}\n')
    with pytest.raises(DataError, match=r"bad\.jsonl:1: eventMetadata\.eventId is missing"):
        read_capture(str(bad))
