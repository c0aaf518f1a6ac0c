"""Reading an output directory into the report's typed view."""

import json
import math

import pytest

from clarion.errors import OutputError
from clarion.report import load_report_data
from report_fixtures import (
    DOLLAR_FEATURE,
    FEATURES,
    FT_ERROR,
    GROUP_ERROR,
    LOCAL_ROWS,
    POST,
    PRE,
    SHAP_LABEL0,
    STDERR_LABEL0,
    write_output_dir,
)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return load_report_data(write_output_dir(tmp_path_factory.mktemp("out")))


def test_bias_sections(data):
    pre, post = data.bias
    assert (pre.stage, post.stage) == ("pre_training", "post_training")
    assert (pre.label, pre.positive_label) == ("income", ">50K")
    assert [(e.facet, e.value) for e in pre.entries][:3] == [("sex", "Female"), ("race", "White"), ("race", "Black")]
    assert len(pre.entries) == len(post.entries) == 6
    assert all([m.code for m in e.metrics] == [c for c, _ in PRE] for e in pre.entries)
    assert all([m.code for m in e.metrics] == [c for c, _ in POST] for e in post.entries)


def test_infinities_and_errors(data):
    post = data.bias[1]
    female = {m.code: m for m in post.entries[0].metrics}
    assert female["TE"].value == math.inf and female["TE"].error is None
    assert female["DI"].value == pytest.approx(0.3567)
    assert female["CDDPL"].value is None and female["CDDPL"].error == GROUP_ERROR
    black = {m.code: m for m in post.entries[2].metrics}
    assert black["DCA"].value == -math.inf
    assert black["FT"].value is None and black["FT"].error == FT_ERROR


def test_global_shap_sorted_with_stderr(data):
    label0, label1 = data.shap
    assert label0.label == "label0" and label1.label == "label1"
    assert list(label0.features) == sorted(SHAP_LABEL0, key=lambda f: -SHAP_LABEL0[f])
    assert list(label0.stderr) == [STDERR_LABEL0[f] for f in label0.features]
    assert label1.stderr is None
    assert label0.expected_value == pytest.approx(0.2391)


def test_pdp_entries(data):
    age, workclass, comment = data.pdp
    assert age.data_type == "numerical" and len(age.predictions) == 2 and age.label_headers == ("label0", "label1")
    assert workclass.feature_values[-1] == "<b>Never</b>"
    assert comment.error.startswith("Detected data type is not supported for PDP")
    assert comment.feature_values == () and comment.predictions == ()


def test_local_shap_rows_named_by_join_source(data):
    assert [(r.row, r.label) for r in data.local] == [
        (row_id, label) for row_id, _ in LOCAL_ROWS for label in ("label0", "label1")
    ]
    third = data.local[4]
    assert third.row == "id-003" and third.features[0] == DOLLAR_FEATURE and third.values[0] == pytest.approx(0.412)
    expected = dict(zip(FEATURES, LOCAL_ROWS[2][1], strict=True))
    assert dict(zip(third.features, third.values, strict=True)) == pytest.approx(expected)
    # label1 columns hold the negated values in the fixture.
    assert dict(zip(data.local[5].features, data.local[5].values, strict=True)) == pytest.approx(
        {f: -v for f, v in expected.items()}
    )


def test_local_shap_without_join_source(tmp_path):
    root = write_output_dir(tmp_path, local=False, text=False)
    (root / "explanations_shap").mkdir()
    (root / "explanations_shap" / "out.csv").write_text("age_label0,workclass_label0\n0.5,-0.7\n")
    analysis = json.loads((root / "analysis.json").read_text())
    del analysis["explanations"]["kernel_shap"]["label1"]
    (root / "analysis.json").write_text(json.dumps(analysis))
    (row,) = load_report_data(root).local
    assert row.row == "row 1" and row.features == ("workclass", "age") and row.values == (-0.7, 0.5)


def test_text_attributions(data):
    first, second = data.text
    assert (first.row, first.feature) == ("r1", "review")
    assert [u.text for u in first.units] == ["I loved ", "this ", "dress, ", "but ", "the zip broke."]
    assert [u.attribution for u in first.units] == [0.41, 0.02, 0.05, -0.11, -0.37]
    assert [u.start for u in second.units] == [0, 22]


def test_setup_from_analysis_config_hides_secrets(data):
    setup = dict(data.setup)
    assert setup["label"] == "income"
    assert setup["facets"] == "sex, race, age"
    assert setup["methods.shap.num_samples"] == "100"
    assert setup["predictor.endpoint_name"] == "my-endpoint"
    assert not any("SECRET" in v or "custom_attributes" in k for k, v in data.setup)


def test_setup_argument_wins_over_the_file(tmp_path):
    root = write_output_dir(tmp_path, local=False, text=False)
    assert load_report_data(root, {"dataset": "other.csv"}).setup == (("dataset", "other.csv"),)


def test_missing_analysis_json_names_the_file(tmp_path):
    with pytest.raises(OutputError, match=r"analysis\.json: not found"):
        load_report_data(tmp_path)


def test_broken_analysis_json_names_the_file(tmp_path):
    (tmp_path / "analysis.json").write_text("{not json")
    with pytest.raises(OutputError, match=r"analysis\.json:1: invalid JSON"):
        load_report_data(tmp_path)


def test_broken_jsonl_names_file_and_line(tmp_path):
    root = write_output_dir(tmp_path, local=False, text=True)
    path = root / "explanations_shap" / "out.jsonl"
    path.write_text(path.read_text() + "{oops\n")
    with pytest.raises(OutputError, match=r"out\.jsonl:3: not valid JSON"):
        load_report_data(root)


def test_image_heat_maps_become_thumbnails(tmp_path):
    from PIL import Image

    root = write_output_dir(tmp_path, local=False, text=False)
    Image.new("RGB", (900, 600), (200, 30, 30)).save(root / "shap_cat_box1_object.jpeg")
    (thumb,) = load_report_data(root).images
    assert thumb.name == "shap_cat_box1_object.jpeg" and thumb.data_uri.startswith("data:image/png;base64,")
    import base64
    import io

    img = Image.open(io.BytesIO(base64.b64decode(thumb.data_uri.split(",", 1)[1])))
    assert img.size == (320, 213)
