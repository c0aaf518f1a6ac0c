"""The run spec resolves every column reference once: names or indices, against the reader's column names."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from clarion.bias import BiasColumns, FacetSpec
from clarion.config import load_config
from clarion.config.methods import PRE_TRAINING_METRICS
from clarion.engine import run_analysis
from clarion.engine.core.spec import resolve_run
from clarion.engine.plan import make_plan
from clarion.errors import ConfigError

HEADERS = ["a", "sex", "g", "y", "n"]


def _spec(columns=HEADERS, **overrides):
    raw = {
        "dataset_type": "text/csv", "headers": HEADERS, "label": 3, "label_values_or_threshold": [1],
        "facet": [{"name_or_index": 1, "value_or_threshold": [0]}, {"name_or_index": "a"}],
        "group_variable": "g", "predicted_label": "a",
        "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": ["DI"]}},
    }  # fmt: skip
    raw.update(overrides)
    config = load_config(raw)
    return resolve_run(make_plan(config, "data.csv"), list(columns))


def test_bias_references_by_name_and_index():
    spec = _spec().bias
    assert spec is not None
    assert spec.label == "y" and spec.group == "g" and spec.predicted_label == "a"
    assert spec.facets == (FacetSpec("sex", (0,)), FacetSpec("a", None))
    assert spec.pre_training_metrics == PRE_TRAINING_METRICS and spec.post_training_metrics == ("DI",)
    assert spec.columns == BiasColumns("y", ("sex", "a"), "g", "a")


def test_an_index_beyond_the_columns_names_the_key():
    with pytest.raises(ConfigError, match=r"^label: column index 3 is out of range for 3 dataset columns$"):
        _spec(columns=["a", "sex", "g"], headers=None)


def _explain(**methods):
    return _spec(
        predictor={"model_uri": "model.joblib"}, predicted_label=None, group_variable=None,
        methods={"shap": {"baseline": [[0, 0, 0]]}, **methods},
    )  # fmt: skip


def test_explained_and_varied_features_by_name_and_index_among_the_features():
    # Features are every column but the label (y): a, sex, g, n.
    spec = _explain(
        shap={"baseline": [[0, 0, 0, 0]], "features_to_explain": [3, "sex", 3]},
        pdp={"grid_resolution": 3, "features": ["g", 0, "g"]},
    )
    assert spec.features == ["a", "sex", "g", "n"]
    assert spec.shap_features == ("n", "sex")
    assert spec.pdp_features == ("g", "a")
    assert _explain(pdp={"grid_resolution": 3}).pdp_features is None  # chosen later by global SHAP


@pytest.mark.parametrize(
    ("methods", "message"),
    [
        ({"pdp": {"grid_resolution": 3, "features": ["a", "nope"]}},
         r"^methods\.pdp\.features\[1\]: column 'nope' is not in features \['a', 'sex', 'g', 'n'\]$"),
        ({"pdp": {"grid_resolution": 3, "features": [4]}},
         r"^methods\.pdp\.features\[0\]: column index 4 is out of range for 4 features$"),
        ({"shap": {"baseline": [[0, 0, 0, 0]], "features_to_explain": ["y"]}},
         r"^methods\.shap\.features_to_explain\[0\]: column 'y' is not in features"),
    ],
)  # fmt: skip
def test_feature_references_that_match_nothing_name_the_key(methods, message):
    with pytest.raises(ConfigError, match=message):
        _explain(**methods)


def test_a_segment_column_by_index_in_a_bias_only_run_is_the_indexed_header(tmp_path):
    """A bias-only CSV run parses only the columns it needs; segment_config's index still counts in headers."""
    rng = random.Random(3)
    df = pd.DataFrame(
        {
            "a": [rng.random() for _ in range(300)],
            "s": [rng.choice([0, 1, 2, 3]) for _ in range(300)],
            "b": [rng.random() for _ in range(300)],
            "f": [rng.choice([0, 1]) for _ in range(300)],
            "y": [rng.choice([0, 1]) for _ in range(300)],
        }
    )
    df.to_csv(tmp_path / "data.csv", index=False, header=False)
    config = {
        "dataset_type": "text/csv", "headers": list(df.columns), "label": "y", "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "f", "value_or_threshold": [1]}],
        "segment_config": [{"name_or_index": 1, "segments": [[0, 1], [2]]}],
        "methods": {"pre_training_bias": {"methods": ["CI"]}},
    }  # fmt: skip
    analysis = run_analysis(config, data_uri=str(tmp_path / "data.csv"), output_dir=str(tmp_path / "out"), quiet=True)
    (segments,) = analysis["pre_training_bias_metrics"]["segment_metrics"]
    rows = {s["segment"]: s["rows"] for s in segments["segments"]}
    assert rows == {
        "0,1": int(df["s"].isin([0, 1]).sum()),
        "2": int((df["s"] == 2).sum()),
        "__default__": int((df["s"] == 3).sum()),
    }
    for entry in segments["segments"]:
        part = df[df["s"].isin(entry["values"])] if entry["values"] else df[df["s"] == 3]
        n_d = int((part["f"] == 1).sum())
        ci = next(m for m in entry["facets"]["f"][0]["metrics"] if m["name"] == "CI")
        assert ci["value"] == pytest.approx((len(part) - 2 * n_d) / len(part), abs=1e-12)
