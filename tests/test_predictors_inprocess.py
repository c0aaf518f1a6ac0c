import joblib
import numpy as np
import pandas as pd
import pytest

try:  # tests as a package or as plain modules
    from tests.predictors_fixtures import ABALONE_COLUMNS, abalone, abalone_pipeline, adult_numeric, weighted_sum
except ImportError:  # pragma: no cover
    from predictors_fixtures import ABALONE_COLUMNS, abalone, abalone_pipeline, adult_numeric, weighted_sum

from clarion.config import load_config
from clarion.errors import ConfigError, PredictorError
from clarion.predictors import build_predictor, model_outputs, predicted_labels

FIXTURES = weighted_sum.__module__  # where the model callables live, as this run imported them


def config(predictor: dict, **top) -> object:
    return load_config({"dataset_type": "text/csv", "methods": {"shap": {}}, "predictor": predictor, **top})


def test_sklearn_pipeline_by_column_name(tmp_path):
    pipe, features = abalone_pipeline("classifier")
    path = tmp_path / "pipe.joblib"
    joblib.dump(pipe, path)
    shuffled = features[list(reversed(features.columns))]  # ColumnTransformer selects by name
    with build_predictor(config({"model_uri": str(path)}, probability_threshold=0.3), list(shuffled.columns)) as p:
        out = p.predict(shuffled)
    expected = pipe.predict_proba(features)[:, 1]
    np.testing.assert_allclose(out.scores[:, 0], expected, rtol=0, atol=1e-12)
    assert out.labels is None  # 0/1 classes: the threshold decides
    assert predicted_labels(out, 0.3).tolist() == (expected > 0.3).astype(int).tolist()


def test_sklearn_positional_names_when_headers_differ(tmp_path):
    pipe, features = abalone_pipeline("regressor")
    path = tmp_path / "reg.pkl"
    joblib.dump(pipe, path)
    renamed = features.copy()
    renamed.columns = [f"c{i}" for i in range(features.shape[1])]
    with build_predictor(config({"model_uri": str(path)}), list(renamed.columns)) as p:
        out = p.predict(renamed)
    np.testing.assert_allclose(out.scores[:, 0], pipe.predict(features), atol=1e-12)
    values, names = model_outputs(out)
    assert names == ("label0",) and values.shape == (len(features), 1)


def test_sklearn_multiclass_labels_and_headers(tmp_path):
    pipe, features = abalone_pipeline("multiclass")
    path = tmp_path / "multi.joblib"
    joblib.dump(pipe, path)
    with build_predictor(config({"model_uri": str(path)}), list(features.columns)) as p:
        out = p.predict(features)
    proba = pipe.predict_proba(features)
    np.testing.assert_allclose(out.scores, proba, atol=1e-12)
    assert out.label_headers == tuple(pipe.classes_)
    assert list(out.labels) == list(pipe.predict(features))


def test_sklearn_string_binary_classes_use_threshold(tmp_path):
    from sklearn.linear_model import LogisticRegression

    x, y = adult_numeric(1500)
    names = np.where(y == 1, ">50K", "<=50K")
    model = LogisticRegression(max_iter=2000).fit(x, names)
    path = tmp_path / "lr.joblib"
    joblib.dump(model, path)
    with build_predictor(config({"model_uri": str(path)}, probability_threshold=0.2), list(x.columns)) as p:
        out = p.predict(x)
    p1 = model.predict_proba(x)[:, list(model.classes_).index(">50K")]
    np.testing.assert_allclose(out.scores[:, 0], p1, atol=1e-12)
    assert list(out.labels) == [">50K" if v > 0.2 else "<=50K" for v in p1]


def test_label_headers_from_config_replace_model_names(tmp_path):
    pipe, features = abalone_pipeline("multiclass")
    path = tmp_path / "multi.joblib"
    joblib.dump(pipe, path)
    cfg = config({"model_uri": str(path), "label_headers": ["A", "B", "C"]})
    with build_predictor(cfg, list(features.columns)) as p:
        out = p.predict(features.head(3))
    assert model_outputs(out)[1] == ("A", "B", "C")


@pytest.mark.slow
def test_xgboost_model_files(tmp_path):
    import xgboost

    x, y = adult_numeric(1500)
    clf = xgboost.XGBClassifier(n_estimators=20, max_depth=3).fit(x, y)
    clf.save_model(tmp_path / "binary.json")
    with build_predictor(config({"model_uri": str(tmp_path / "binary.json")}), list(x.columns)) as p:
        out = p.predict(x)
    np.testing.assert_allclose(out.scores[:, 0], clf.predict_proba(x)[:, 1], rtol=1e-6)

    data = abalone()
    features = data[ABALONE_COLUMNS[1:-1]]
    target = np.digitize(data["Rings"], [8, 11])
    multi = xgboost.XGBClassifier(n_estimators=10, max_depth=3).fit(features, target)
    multi.save_model(tmp_path / "multi.ubj")
    with build_predictor(config({"model_uri": str(tmp_path / "multi.ubj")}), list(features.columns)) as p:
        out = p.predict(features)
    np.testing.assert_allclose(out.scores, multi.predict_proba(features), rtol=1e-6)
    assert out.labels.tolist() == multi.predict(features).tolist()

    reg = xgboost.XGBRegressor(n_estimators=10).fit(features, data["Rings"])
    reg.save_model(tmp_path / "reg.json")
    with build_predictor(config({"model_uri": str(tmp_path / "reg.json")}), list(features.columns)) as p:
        out = p.predict(features)
    np.testing.assert_allclose(out.scores[:, 0], reg.predict(features), rtol=1e-6)


def test_lightgbm_model_files(tmp_path):
    import lightgbm

    x, y = adult_numeric(1500)
    clf = lightgbm.LGBMClassifier(n_estimators=20, verbose=-1).fit(x, y)
    clf.booster_.save_model(str(tmp_path / "binary.txt"))
    with build_predictor(config({"model_uri": str(tmp_path / "binary.txt")}), list(x.columns)) as p:
        out = p.predict(x)
    np.testing.assert_allclose(out.scores[:, 0], clf.predict_proba(x)[:, 1], rtol=1e-9)
    assert out.labels is None

    data = abalone()
    features = data[ABALONE_COLUMNS[1:-1]]
    target = np.digitize(data["Rings"], [8, 11])
    multi = lightgbm.LGBMClassifier(n_estimators=10, verbose=-1).fit(features, target)
    multi.booster_.save_model(str(tmp_path / "multi.txt"))
    with build_predictor(config({"model_uri": str(tmp_path / "multi.txt")}), list(features.columns)) as p:
        out = p.predict(features)
    np.testing.assert_allclose(out.scores, multi.predict_proba(features), rtol=1e-9)
    assert out.labels.tolist() == multi.predict(features).tolist()


def test_model_callable_variants():
    frame = pd.DataFrame({"A": [1, 2, 3], "B": [0.5, 0.0, 4.0]})
    with build_predictor(config({"model_callable": f"{FIXTURES}:weighted_sum"}), ["A", "B"]) as p:
        assert p.predict(frame).scores[:, 0].tolist() == [1.5, 4.0, 2.0]
    with build_predictor(config({"model_callable": f"{FIXTURES}:parity_label"}), ["A", "B"]) as p:
        out = p.predict(frame)
        assert out.labels.tolist() == [1, 0, 1] and out.scores is None
    with build_predictor(config({"model_callable": f"{FIXTURES}:two_column_frame"}), ["A", "B"]) as p:
        out = p.predict(frame)
        assert out.label_headers == ("no", "yes")
        np.testing.assert_allclose(out.scores[:, 1], 1 / (1 + np.exp(-np.array([1.0, 2.0, 3.0]))))
    with build_predictor(config({"model_callable": f"{FIXTURES}:wrong_length"}), ["A", "B"]) as p:
        with pytest.raises(PredictorError, match="answered 4 results for 3 rows"):
            p.predict(frame)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no_colon", "expected 'package.module:function'"),
        ("no_such_module_xyz:f", "cannot import module 'no_such_module_xyz'"),
        (f"{FIXTURES}:missing", "has no attribute 'missing'"),
    ],
)
def test_model_callable_errors(spec, message):
    with pytest.raises(ConfigError, match=message):
        build_predictor(config({"model_callable": spec}), ["A"])


def test_model_uri_errors(tmp_path):
    with pytest.raises(ConfigError, match="predictor.model_uri: file not found"):
        build_predictor(config({"model_uri": str(tmp_path / "nope.joblib")}), ["A"])
    junk = tmp_path / "junk.joblib"
    junk.write_bytes(b"not a pickle")
    with pytest.raises(ConfigError, match="predictor.model_uri: cannot load model"):
        build_predictor(config({"model_uri": str(junk)}), ["A"])


def test_feature_count_mismatch_is_a_predictor_error(tmp_path):
    pipe, features = abalone_pipeline("classifier")
    path = tmp_path / "pipe.joblib"
    joblib.dump(pipe, path)
    with build_predictor(config({"model_uri": str(path)}), ["a", "b"]) as p:
        with pytest.raises(PredictorError, match="expects 8 features"):
            p.predict(features.iloc[:, :2])
