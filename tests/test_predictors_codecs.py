import io
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clarion.errors import ConfigError, PredictorError
from clarion.predictors import RequestCodec, ResponseCodec, RetryPolicy, split_batches

FRAME = pd.DataFrame({"A": [0, 3], "B": [1.5, 4.0], "C": ["x", "y,z"]})


def test_csv_rows_no_header_and_quoting():
    rows = RequestCodec("text/csv").encode_rows(FRAME)
    assert rows == [b"0,1.5,x", b'3,4.0,"y,z"']
    assert RequestCodec("text/csv").join(rows) == b'0,1.5,x\n3,4.0,"y,z"\n'


def test_csv_rows_with_line_breaks_in_values():
    frame = pd.DataFrame({"t": ["a\nb", "c"]})
    rows = RequestCodec("text/csv").encode_rows(frame)
    assert rows == [b'"a\nb"', b"c"]


def test_jsonlines_content_template():
    codec = RequestCodec("application/jsonlines", content_template='{"myfeatures":$features}')
    body = codec.join(codec.encode_rows(FRAME))
    lines = [json.loads(x) for x in body.decode().splitlines()]
    assert lines == [{"myfeatures": [0, 1.5, "x"]}, {"myfeatures": [3, 4.0, "y,z"]}]


def test_json_records_features_and_names():
    codec = RequestCodec("application/json", content_template='{"instances": $records}', record_template="$features")
    frame = pd.DataFrame({"A": [0, 3], "B": [1, 4]})
    assert json.loads(codec.join(codec.encode_rows(frame))) == {"instances": [[0, 1], [3, 4]]}
    codec = RequestCodec(
        "application/json",
        content_template="$records",
        record_template='{"features": $features, "names": $feature_names}',
    )
    assert json.loads(codec.join(codec.encode_rows(frame))) == [
        {"features": [0, 1], "names": ["A", "B"]},
        {"features": [3, 4], "names": ["A", "B"]},
    ]


def test_json_records_kvp_and_named_placeholders():
    frame = pd.DataFrame({"A": [0, 3], "B": [1, 4]})
    kvp = RequestCodec("application/json", content_template="$records", record_template="$features_kvp")
    assert json.loads(kvp.join(kvp.encode_rows(frame))) == [{"A": 0, "B": 1}, {"A": 3, "B": 4}]
    named = RequestCodec("application/json", content_template="$records", record_template='{"a": "${A}", "b": "${B}"}')
    assert json.loads(named.join(named.encode_rows(frame))) == [{"a": 0, "b": 1}, {"a": 3, "b": 4}]


def test_json_single_record():
    codec = RequestCodec("application/json", content_template='{"x": $record}', record_template="$features_kvp")
    assert codec.one_row_per_request
    rows = codec.encode_rows(pd.DataFrame({"A": [7]}))
    assert json.loads(codec.join(rows)) == {"x": {"A": 7}}


def test_csv_response_default_single_score_and_vector():
    r = ResponseCodec("text/csv").decode(b"0.25\n0.75\n", 2)
    assert r.scores.tolist() == [[0.25], [0.75]] and r.labels is None
    r = ResponseCodec("text/csv").decode(b"0.2,0.8\n0.6,0.4\n", 2)
    assert r.scores.tolist() == [[0.2, 0.8], [0.6, 0.4]]


def test_csv_response_label_and_quoted_probability_list():
    body = b'Current,"[0.1, 0.9]"\nGone,"[0.7, 0.3]"\n'
    r = ResponseCodec("text/csv", label=0, probability=1).decode(body, 2)
    assert list(r.labels) == ["Current", "Gone"]
    assert r.scores.tolist() == [[0.1, 0.9], [0.7, 0.3]]


def test_jsonlines_response_jmespath():
    body = b'{"predicted_label": 1, "score": 0.73}\n{"predicted_label": 0, "score": 0.2}\n'
    r = ResponseCodec("application/jsonlines", label="predicted_label", probability="score").decode(body, 2)
    assert r.labels.tolist() == [1, 0] and r.scores.tolist() == [[0.73], [0.2]]


def test_jsonlines_score_as_string_of_list():
    body = b'{"predicted_label": "b", "score": "[0.2, 0.8]"}\n'
    r = ResponseCodec("application/jsonlines", label="predicted_label", probability="score").decode(body, 1)
    assert r.scores.tolist() == [[0.2, 0.8]] and list(r.labels) == ["b"]


def test_label_lists_pick_best_scoring_name():
    body = b'{"labels": ["cat", "dog", "fish"], "p": [0.35, 0.25, 0.4]}\n'
    r = ResponseCodec("application/jsonlines", label="labels", probability="p").decode(body, 1)
    assert list(r.labels) == ["fish"] and r.label_headers == ("cat", "dog", "fish")


def test_json_response_lists():
    body = json.dumps({"predictions": [{"s": 0.1}, {"s": 0.9}]}).encode()
    r = ResponseCodec("application/json", probability="predictions[*].s").decode(body, 2)
    assert r.scores.tolist() == [[0.1], [0.9]]
    r = ResponseCodec("application/json").decode(b"[0.5, 0.25]", 2)
    assert r.scores.tolist() == [[0.5], [0.25]]
    r = ResponseCodec("application/json", probability="s").decode(b'{"s": 0.5}', 1, single_record=True)
    assert r.scores.tolist() == [[0.5]]


@pytest.mark.parametrize(
    ("accept", "body", "n", "message"),
    [
        ("text/csv", b"0.1\n", 2, "expected 2 results, got 1"),
        ("text/csv", b"0.1\nabc\n", 2, "response line 2"),
        ("application/jsonlines", b'{"score": 1}\n{"score"\n', 2, "response line 2"),
        ("application/jsonlines", b'{"other": 1}\n', 1, "found nothing"),
        ("application/json", b"not json", 1, "not JSON"),
        ("application/json", b'{"a": 1}', 1, "found nothing"),
    ],
)
def test_bad_responses_raise(accept, body, n, message):
    probability = None if accept == "text/csv" else "score"
    with pytest.raises(PredictorError, match=message):
        ResponseCodec(accept, probability=probability).decode(body, n)


def test_config_errors_for_wrong_selector_kinds():
    with pytest.raises(ConfigError, match="predictor.label: expected a column index"):
        ResponseCodec("text/csv", label="predicted_label")
    with pytest.raises(ConfigError, match="predictor.probability: invalid JMESPath"):
        ResponseCodec("application/jsonlines", probability="a[")


def _reference_split(sizes, max_bytes, max_rows, separator, overhead):
    """Brute force: grow each batch one row at a time while it fits."""
    out, i = [], 0
    while i < len(sizes):
        j = i + 1
        while (
            j < len(sizes)
            and overhead + sum(s + separator for s in sizes[i : j + 1]) <= max_bytes
            and (max_rows is None or j + 1 - i <= max_rows)
        ):
            j += 1
        out.append((i, j))
        i = j
    return out


@settings(max_examples=200, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 40), min_size=0, max_size=60),
    max_bytes=st.integers(45, 200),
    max_rows=st.one_of(st.none(), st.integers(1, 10)),
)
def test_split_batches_matches_brute_force(sizes, max_bytes, max_rows):
    got = split_batches(
        np.array(sizes, dtype=np.int64), max_bytes=max_bytes, max_rows=max_rows, separator=1, overhead=3
    )
    assert [(s.start, s.stop) for s in got] == _reference_split(sizes, max_bytes, max_rows, 1, 3)
    for s in got:
        assert 3 + sum(x + 1 for x in sizes[s]) <= max_bytes


def test_split_refuses_row_larger_than_limit():
    with pytest.raises(PredictorError, match="row 1 needs 101 bytes, more than the 100 bytes"):
        split_batches(np.array([10, 99]), max_bytes=100, max_rows=None, separator=1, overhead=1)


def test_retry_delays_are_bounded_full_jitter():
    policy = RetryPolicy(max_retries=5, base_seconds=0.1, cap_seconds=1.0)
    rng = np.random.default_rng(0)
    for retry in range(8):
        draws = [policy.delay(retry, rng) for _ in range(200)]
        bound = min(1.0, 0.1 * 2**retry)
        assert 0 <= min(draws) and max(draws) <= bound
        assert max(draws) > 0.5 * bound  # spread over the whole interval
    assert policy.delay(0, rng, retry_after=0.7) == 0.7
    # Retry-After is honoured up to its cap (30 s by default), not replaced by a jitter draw
    assert policy.delay(0, rng, retry_after=30) == 30.0
    assert policy.delay(0, rng, retry_after=3600) == 30.0
    assert RetryPolicy(retry_after_cap_seconds=2.0).delay(3, rng, retry_after=3600) == 2.0
    assert policy.delay(0, rng, retry_after=-5) == 0.0


def test_retry_after_header_forms():
    from clarion.predictors.policy import parse_retry_after

    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None and parse_retry_after("nan") is None
    # an HTTP date 90 s after "now" (1994-11-06 08:49:37 UTC is 784111777 seconds after the epoch)
    assert parse_retry_after("Sun, 06 Nov 1994 08:51:07 GMT", now=784111777.0) == 90.0
    assert parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now=784111800.0) == 0.0


floats = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.tuples(floats, st.integers(-(10**9), 10**9)), min_size=1, max_size=30))
def test_buffer_encoding_round_trips_exactly(values):
    frame = pd.DataFrame(values, columns=["x", "n"])
    csv_codec = RequestCodec("text/csv")
    encoded = csv_codec.encode(frame)
    body = csv_codec.body(encoded, slice(0, len(frame)))
    parsed = [[float(v) for v in line.split(",")] for line in body.decode().splitlines()]
    assert parsed == [[float(x), float(n)] for x, n in values]
    jl = RequestCodec("application/jsonlines", content_template='{"f":$features}')
    lines = jl.body(jl.encode(frame), slice(0, len(frame))).decode().splitlines()
    assert [json.loads(line)["f"] for line in lines] == [[x, n] for x, n in values]


def test_buffer_slices_are_the_rows_of_each_batch():
    frame = pd.DataFrame({"A": [1, 22, 333], "S": ["a", "b,c", "d"]})
    codec = RequestCodec("text/csv")
    encoded = codec.encode(frame)
    assert len(encoded) == 3 and int(encoded.sizes().sum()) == len(encoded.data)
    assert list(pd.read_csv(pd.io.common.BytesIO(codec.body(encoded, slice(1, 3))), header=None).iloc[:, 1]) == [
        "b,c",
        "d",
    ]
    kvp = RequestCodec("application/json", content_template='{"rows": $records}', record_template="$features_kvp")
    assert json.loads(kvp.body(kvp.encode(frame), slice(1, 3))) == {
        "rows": [{"A": 22, "S": "b,c"}, {"A": 333, "S": "d"}]
    }


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.lists(floats, min_size=2, max_size=2), min_size=1, max_size=20), label=st.booleans())
def test_fast_csv_answers_equal_row_by_row_reading(rows, label):
    body = "".join(",".join(repr(v) for v in r) + "\n" for r in rows).encode()
    codec = ResponseCodec("text/csv", label=0 if label else None, probability=1 if label else None)
    fast = codec.decode(body, len(rows))
    slow = codec._to_predictions(codec._csv_records(body.decode()))
    np.testing.assert_array_equal(fast.scores, slow.scores)
    if label:
        np.testing.assert_array_equal(fast.labels, slow.labels)


def test_npy_requests_are_float_arrays_of_the_batch() -> None:
    frame = pd.DataFrame({"a": [1, 2, 3], "b": [0.5, -1.0, 2.25]})
    codec = RequestCodec("application/x-npy")
    rows = codec.encode(frame)
    for batch in (slice(0, 3), slice(1, 3), slice(2, 3)):
        sent = np.load(io.BytesIO(codec.body(rows, batch)), allow_pickle=False)
        np.testing.assert_array_equal(sent, frame.to_numpy(dtype=float)[batch])
    assert codec.overhead() >= len(codec.body(rows, slice(0, 1))) - 16  # the header fits the payload estimate
    with pytest.raises(PredictorError, match="application/x-npy needs numeric features; not numeric: \\['c'\\]"):
        codec.encode(frame.assign(c=["x", "y", "z"]))
