"""clarion serve through a real uvicorn server on 127.0.0.1, compared with the model called directly."""

import json

import httpx
import joblib
import numpy as np
import pytest

try:  # tests as a package or as plain modules
    from tests.predictors_fixtures import ABALONE_COLUMNS, abalone, abalone_pipeline, uvicorn_server
except ImportError:  # pragma: no cover
    from predictors_fixtures import ABALONE_COLUMNS, abalone, abalone_pipeline, uvicorn_server

from clarion.serve import create_app


@pytest.fixture(scope="module")
def binary(tmp_path_factory):
    pipe, features = abalone_pipeline("classifier")
    path = tmp_path_factory.mktemp("serve") / "binary.joblib"
    joblib.dump(pipe, path)
    with uvicorn_server(create_app(str(path))) as url:
        yield url, pipe, features.head(50)


@pytest.fixture(scope="module")
def multiclass(tmp_path_factory):
    pipe, features = abalone_pipeline("multiclass")
    path = tmp_path_factory.mktemp("serve") / "multi.joblib"
    joblib.dump(pipe, path)
    with uvicorn_server(create_app(str(path))) as url:
        yield url, pipe, features.head(50)


def post(url, body, content_type, accept):
    return httpx.post(f"{url}/invocations", content=body, headers={"Content-Type": content_type, "Accept": accept})


def test_ping(binary):
    assert httpx.get(f"{binary[0]}/ping").status_code == 200


def test_csv_in_csv_out(binary):
    url, pipe, features = binary
    body = features.to_csv(header=False, index=False).encode()
    response = post(url, body, "text/csv", "text/csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    scores = [float(line) for line in response.text.splitlines()]
    assert scores == pipe.predict_proba(features)[:, 1].tolist()  # repr round-trips floats exactly


def test_jsonlines_in_jsonlines_out(binary):
    url, pipe, features = binary
    body = "\n".join(json.dumps({"features": row}) for row in features.values.tolist()).encode()
    response = post(url, body, "application/jsonlines", "application/jsonlines")
    lines = [json.loads(line) for line in response.text.splitlines()]
    proba = pipe.predict_proba(features)[:, 1]
    assert [line["score"] for line in lines] == proba.tolist()
    assert [line["predicted_label"] for line in lines] == (proba > 0.5).astype(int).tolist()


def test_json_objects_in_json_out(binary):
    url, pipe, features = binary
    body = json.dumps({"instances": features.to_dict(orient="records")}).encode()
    response = post(url, body, "application/json", "application/json")
    predictions = response.json()["predictions"]
    assert [p["score"] for p in predictions] == pipe.predict_proba(features)[:, 1].tolist()


def test_multiclass_probabilities_and_class_names(multiclass):
    url, pipe, features = multiclass
    body = features.to_csv(header=False, index=False).encode()
    lines = [json.loads(x) for x in post(url, body, "text/csv", "application/jsonlines").text.splitlines()]
    np.testing.assert_array_equal(np.array([x["probabilities"] for x in lines]), pipe.predict_proba(features))
    assert [x["predicted_label"] for x in lines] == pipe.predict(features).tolist()
    csv_answer = post(url, body, "text/csv", "text/csv").text.splitlines()
    assert [[float(v) for v in line.split(",")] for line in csv_answer] == pipe.predict_proba(features).tolist()


@pytest.mark.parametrize(
    ("body", "content_type", "accept", "status", "text"),
    [
        (b"", "text/csv", "text/csv", 400, "empty request body"),
        (b"1,2,3\n", "text/csv", "text/csv", 400, "expects 8 features"),
        (b'{"features": [1]}\n{"features": [1, 2]}\n', "application/jsonlines", "text/csv", 400, "different numbers"),
        (b"{nope\n", "application/jsonlines", "text/csv", 400, "line 1: not JSON"),
        (b"1\n", "application/x-npy", "text/csv", 415, "unsupported Content-Type"),
        (b"1\n", "text/csv", "image/png", 406, "unsupported Accept"),
    ],
)
def test_bad_requests(binary, body, content_type, accept, status, text):
    response = post(binary[0], body, content_type, accept)
    assert response.status_code == status and text in response.text


@pytest.mark.slow
def test_xgboost_file_served(tmp_path):
    import xgboost

    data = abalone(300)
    features = data[ABALONE_COLUMNS[1:-1]]
    model = xgboost.XGBRegressor(n_estimators=5).fit(features, data["Rings"])
    model.save_model(tmp_path / "reg.json")
    with uvicorn_server(create_app(str(tmp_path / "reg.json"))) as url:
        response = post(url, features.to_csv(header=False, index=False).encode(), "text/csv", "text/csv")
    got = np.array([float(v) for v in response.text.splitlines()])
    np.testing.assert_allclose(got, model.predict(features), rtol=1e-6)


def test_a_regressor_answers_its_prediction_as_label_and_score(tmp_path):
    pipe, features = abalone_pipeline("regressor")
    path = tmp_path / "regressor.joblib"
    joblib.dump(pipe, path)
    rows = features.head(20)
    body = "\n".join(json.dumps({"features": row}) for row in rows.values.tolist()).encode()
    with uvicorn_server(create_app(str(path))) as url:
        lines = [
            json.loads(line)
            for line in post(url, body, "application/jsonlines", "application/jsonlines").text.splitlines()
        ]
    expected = pipe.predict(rows).tolist()
    assert [line["score"] for line in lines] == expected
    assert [line["predicted_label"] for line in lines] == expected
