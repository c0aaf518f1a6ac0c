"""Hostile inputs: every analysis is right (checked against pandas) or refused naming the key, file or row.

One test group per item of the "wrong numbers" list: columns by name (1), field counts and lines (2),
chunk-independent types (3), header variants and stray parts (4), values matching no row and empty cells
(5), predicted labels joined by id (6), wrong types, non-finite settings, job messages (7), gzip (8).
"""

from __future__ import annotations

import gzip
import json
import random

import pandas as pd
import pytest

from clarion.cli import main as cli_main
from clarion.errors import ConfigError, DataError
from clarion.job import job_paths, run_job
from hostile import close, expected_pre, metrics, run

HEADERS = ["f", "y", "g"]


def frame(rows: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = random.Random(seed)
    return pd.DataFrame(
        {
            "f": [rng.choice([1, 2, 3]) for _ in range(rows)],
            "y": [rng.choice([0, 1]) for _ in range(rows)],
            "g": [rng.choice(["a", "b"]) for _ in range(rows)],
        }
    )


def config(**overrides):
    base = {
        "dataset_type": "text/csv",
        "headers": HEADERS,
        "label": "y",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "f", "value_or_threshold": [1]}],
        "methods": {"pre_training_bias": {"methods": ["CI", "DPL", "KL"]}},
    }
    base.update(overrides)
    return base


def assert_pre(analysis, expected, facet="f"):
    got = metrics(analysis, facet)
    for code, value in zip(("CI", "DPL", "KL"), expected, strict=True):
        if value is None:
            assert isinstance(got[code], tuple), (code, got[code])
        else:
            assert close(got[code], value), (code, got[code], value)


# 1 ------------------------------------------------------------------ columns matched by name


def test_parquet_columns_in_another_order_are_matched_by_name(tmp_path):
    df = frame()
    df[["g", "y", "f"]].to_parquet(tmp_path / "data.parquet")
    analysis = run(config(dataset_type="application/x-parquet"), tmp_path / "data.parquet", tmp_path / "out")
    assert_pre(analysis, expected_pre(df, "y", [1], "f", [1]))


def test_parquet_without_names_is_named_by_headers_in_order(tmp_path):
    df = frame()
    unnamed = df.copy()
    unnamed.columns = ["0", "1", "2"]
    unnamed.to_parquet(tmp_path / "data.parquet")
    analysis = run(config(dataset_type="application/x-parquet"), tmp_path / "data.parquet", tmp_path / "out")
    assert_pre(analysis, expected_pre(df, "y", [1], "f", [1]))


def test_parquet_names_that_disagree_with_headers_are_an_error_listing_both(tmp_path):
    frame().rename(columns={"f": "age"}).to_parquet(tmp_path / "data.parquet")
    with pytest.raises(DataError) as info:
        run(config(dataset_type="application/x-parquet"), tmp_path / "data.parquet", tmp_path / "out")
    assert "['age', 'y', 'g']" in str(info.value) and "['f', 'y', 'g']" in str(info.value)


def test_json_lines_feature_objects_are_matched_by_name(tmp_path):
    df = frame()
    with open(tmp_path / "data.jsonl", "w") as handle:
        for row in df.itertuples():
            handle.write(json.dumps({"features": {"g": row.g, "f": row.f}, "label": row.y}) + "\n")
    cfg = config(dataset_type="application/jsonlines", headers=["f", "g", "y"], features="features", label="label")
    analysis = run(cfg, tmp_path / "data.jsonl", tmp_path / "out")
    assert_pre(analysis, expected_pre(df, "y", [1], "f", [1]))


def test_json_lines_feature_names_that_disagree_with_headers_are_an_error(tmp_path):
    (tmp_path / "data.jsonl").write_text(json.dumps({"features": {"age": 1, "g": "a"}, "label": 1}) + "\n")
    cfg = config(dataset_type="application/jsonlines", headers=["f", "g", "y"], features="features", label="label")
    with pytest.raises(DataError, match=r"data.jsonl:1: the features' names \['age', 'g'\] do not match headers"):
        run(cfg, tmp_path / "data.jsonl", tmp_path / "out")


# 2 ------------------------------------------------------------------ field counts, right line


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [("1,0,a,EXTRA", "Expected 3 fields in line 5, saw 4"), ("1,0", "Expected 3 fields in line 5, saw 2")],
)
def test_rows_with_a_wrong_field_count_are_refused_in_a_bias_only_run(tmp_path, bad_row, message):
    lines = ["f,y,g"] + [f"{r.f},{r.y},{r.g}" for r in frame(20).itertuples()]
    lines.insert(4, bad_row)
    (tmp_path / "data.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=rf"data.csv:5: {message}"):
        run(config(), tmp_path / "data.csv", tmp_path / "out")


def test_a_long_and_a_short_row_in_one_block_do_not_cancel_out(tmp_path):
    lines = ["f,y,g"] + [f"{r.f},{r.y},{r.g}" for r in frame(20).itertuples()]
    lines[3] = "1,0,a,EXTRA"
    lines[7] = "1,0"
    (tmp_path / "data.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"data.csv:4: Expected 3 fields in line 4, saw 4"):
        run(config(), tmp_path / "data.csv", tmp_path / "out")


def test_an_unterminated_quote_at_the_end_names_its_own_line(tmp_path):
    lines = ["f,y,g"] + [f"{r.f},{r.y},{r.g}" for r in frame(2000).itertuples()] + ['2,"1,b']
    (tmp_path / "data.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"data.csv:2002: unterminated quoted field"):
        run(config(), tmp_path / "data.csv", tmp_path / "out")


def test_a_long_row_with_quoted_fields_is_refused(tmp_path):
    lines = ["f,y,g"] + [f'{r.f},{r.y},"{r.g}"' for r in frame(20).itertuples()]
    lines[10] = '1,0,"a","b"'
    (tmp_path / "data.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"data.csv:11: Expected 3 fields in line 11, saw 4"):
        run(config(), tmp_path / "data.csv", tmp_path / "out")


# 3 ------------------------------------------------------------------ types independent of chunking


@pytest.fixture(scope="module")
def question_mark_csv(tmp_path_factory):
    """12,000 rows (two read blocks of 64 KB) of an integer facet column with one '?' near the end."""
    path = tmp_path_factory.mktemp("q") / "data.csv"
    df = frame(12_000, seed=3).astype({"f": object})
    df.loc[11_000, "f"] = "?"
    df.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("chunk_rows", [pytest.param(1, marks=pytest.mark.slow), 97, 1000, 10**9])
def test_one_question_mark_types_the_whole_column_whatever_the_chunk_size(tmp_path, question_mark_csv, chunk_rows):
    whole = pd.read_csv(question_mark_csv, low_memory=False)
    assert pd.api.types.is_string_dtype(whole["f"].dtype)  # pandas reads the whole column as text
    expected = expected_pre(whole, "y", [1], "f", [1])
    # bias-only (pruned read) and a run that parses every column
    cfg = config()
    analysis = run(cfg, question_mark_csv, tmp_path / "a", chunk_rows=chunk_rows)
    assert_pre(analysis, expected)
    cfg_all = config(methods={"pre_training_bias": {"methods": ["CI", "DPL", "KL"]}})
    cfg_all.pop("headers")
    assert_pre(run(cfg_all, question_mark_csv, tmp_path / "b", chunk_rows=chunk_rows), expected)


def test_ints_and_floats_from_different_chunks_give_the_same_threshold_text(tmp_path):
    df = frame(30_000, seed=4).astype({"f": float})
    df.loc[29_999, "f"] = None  # the last chunk holds a blank: pandas reads the column as float
    df.to_csv(tmp_path / "data.csv", index=False)
    outputs = {n: run(config(), tmp_path / "data.csv", tmp_path / f"o{n}", chunk_rows=n) for n in (1000, 10**9)}
    texts = {n: a["pre_training_bias_metrics"]["facets"]["f"][0]["value_or_threshold"] for n, a in outputs.items()}
    assert texts[1000] == texts[10**9] == "(1.0, 3.0]"
    whole = pd.read_csv(tmp_path / "data.csv")
    assert_pre(outputs[1000], expected_pre(whole, "y", [1], "f", [1]))


# 4 ------------------------------------------------------------------ header variants, stray parts


@pytest.mark.parametrize(
    "header",
    ["\ufefff,y,g", "F,Y,G", "y,g,f", "\ufeffG,f,Y"],
    ids=["bom", "case", "permuted", "bom-case-permuted"],
)
def test_header_rows_that_differ_by_bom_case_or_order_are_headers_read_by_name(tmp_path, header):
    df = frame(300, seed=5)
    order = [h.strip("\ufeff").lower() for h in header.split(",")]
    body = "\n".join(",".join(str(getattr(r, c)) for c in order) for r in df.itertuples())
    (tmp_path / "data.csv").write_text(header + "\n" + body + "\n", encoding="utf-8")
    analysis = run(config(), tmp_path / "data.csv", tmp_path / "out")
    assert_pre(analysis, expected_pre(df, "y", [1], "f", [1]))
    full = config(methods={"pre_training_bias": {"methods": ["CI", "DPL", "KL"]}}, group_variable="g")
    full["methods"]["post_training_bias"] = {"methods": ["DPPL"]}
    full["predicted_label"] = "y"
    assert_pre(run(full, tmp_path / "data.csv", tmp_path / "out2"), expected_pre(df, "y", [1], "f", [1]))


def test_a_bom_without_config_headers_does_not_stay_in_the_first_name(tmp_path):
    df = frame(300, seed=6)
    (tmp_path / "data.csv").write_bytes(b"\xef\xbb\xbf" + df.to_csv(index=False).encode())
    cfg = config()
    cfg.pop("headers")
    assert_pre(run(cfg, tmp_path / "data.csv", tmp_path / "out"), expected_pre(df, "y", [1], "f", [1]))


def test_a_header_row_naming_other_columns_is_refused_not_counted(tmp_path):
    (tmp_path / "data.csv").write_text("f,label,g\n1,0,a\n2,1,b\n")
    with pytest.raises(DataError, match=r"data.csv:1: the header row \['f', 'label', 'g'\] does not match headers"):
        run(config(), tmp_path / "data.csv", tmp_path / "out")


def test_a_stray_parquet_part_in_a_csv_folder_is_named(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    frame(50).to_csv(folder / "part-0.csv", index=False)
    frame(50).to_parquet(folder / "part-1.parquet")
    with pytest.raises(DataError, match=r"part-1.parquet: a application/x-parquet file in a text/csv dataset"):
        run(config(), folder, tmp_path / "out")


def test_a_parquet_part_without_extension_in_a_csv_folder_is_named(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    frame(50).to_csv(folder / "part-00000", index=False)
    frame(50).to_parquet(folder / "part-00001")
    with pytest.raises(DataError, match=r"part-00001: a Parquet file in a text/csv dataset"):
        run(config(), folder, tmp_path / "out")


# 5 ------------------------------------------------------------------ values matching no row, empty cells


def test_a_label_value_matching_no_row_is_an_error_naming_the_key_never_zero(tmp_path):
    df = frame(300)
    df.to_csv(tmp_path / "data.csv", index=False)
    cfg = config(label_values_or_threshold=[7], group_variable="g")
    cfg["methods"] = {"pre_training_bias": {"methods": "all"}}
    got = metrics(run(cfg, tmp_path / "data.csv", tmp_path / "out"), "f")
    d = df["f"] == 1
    assert close(got["CI"], ((~d).sum() - d.sum()) / len(df))
    message = "label_values_or_threshold: [7] match no row of label column 'y'"
    for code in ("CDDL", "DPL", "JS", "KL", "KS", "LP", "TVD"):
        assert got[code] == ("error", message)


def test_a_label_value_matching_no_row_fails_post_training_label_metrics(tmp_path):
    df = frame(300)
    df["p"] = df["y"]
    df.to_csv(tmp_path / "data.csv", index=False)
    cfg = config(headers=["f", "y", "g", "p"], label_values_or_threshold=[7], predicted_label="p")
    cfg["methods"] = {"post_training_bias": {"methods": ["AD", "GE", "RD", "DPPL"]}}
    got = metrics(run(cfg, tmp_path / "data.csv", tmp_path / "out"), "f", section="post")
    assert all(isinstance(v, tuple) for v in got.values())


@pytest.mark.parametrize("values", [[7], ["zzz"]])
def test_a_facet_value_matching_no_row_fails_every_metric_naming_the_key(tmp_path, values):
    frame(300).to_csv(tmp_path / "data.csv", index=False)
    cfg = config(facet=[{"name_or_index": "f", "value_or_threshold": values}], group_variable="g")
    cfg["methods"] = {"pre_training_bias": {"methods": "all"}}
    got = metrics(run(cfg, tmp_path / "data.csv", tmp_path / "out"), "f")
    assert set(got) == {"CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"}
    assert {v[0] for v in got.values()} == {"error"}
    assert all(v[1].startswith("facet[0].value_or_threshold: ") for v in got.values())


def test_empty_group_cells_are_left_out_of_cddl_and_counted(tmp_path):
    df = frame(400, seed=8)
    df.loc[::7, "g"] = None
    df.to_csv(tmp_path / "data.csv", index=False)
    cfg = config(group_variable="g")
    cfg["methods"] = {"pre_training_bias": {"methods": ["CDDL", "CI"]}}
    analysis = run(cfg, tmp_path / "data.csv", tmp_path / "out")
    section = analysis["pre_training_bias_metrics"]
    missing = int(df["g"].isna().sum())
    assert section["clarion_empty_cells"] == {"g": missing}
    assert section["clarion_rows_excluded"] == {"CDDL": missing}
    kept = df[df["g"].notna()]
    d, pos = kept["f"] == 1, kept["y"] == 1
    weighted = 0.0
    for _, part in kept.groupby("g"):
        dp, pp = part["f"] == 1, part["y"] == 1
        share_rej = (dp & ~pp).sum() / (~pp).sum() if (~pp).sum() else 0
        share_acc = (dp & pp).sum() / pp.sum() if pp.sum() else 0
        weighted += len(part) * (share_rej - share_acc)
    assert close(metrics(analysis, "f")["CDDL"], weighted / len(kept))
    assert d.any() and pos.any()


def test_empty_label_and_facet_cells_count_as_smclarify_counts_them(tmp_path):
    df = frame(400, seed=9).astype({"y": object, "f": object})
    df.loc[::5, "y"] = None
    df.loc[1::9, "f"] = None
    df.to_csv(tmp_path / "data.csv", index=False)
    whole = pd.read_csv(tmp_path / "data.csv")
    cfg = config(facet=[{"name_or_index": "f", "value_or_threshold": [1, 2]}], label_values_or_threshold=[1, 2])
    analysis = run(cfg, tmp_path / "data.csv", tmp_path / "out")
    assert_pre(analysis, expected_pre(whole, "y", [1, 2], "f", [1, 2]))
    assert analysis["pre_training_bias_metrics"]["clarion_empty_cells"] == {
        "y": int(df["y"].isna().sum()),
        "f": int(df["f"].isna().sum()),
    }


# 6 ------------------------------------------------------------------ predicted labels joined by id


def _post_config(**overrides):
    cfg = config(
        headers=["id", "f", "y", "g"],
        joinsource_name_or_index="id",
        predicted_label="p",
        predicted_label_dataset_uri=None,
        predicted_label_headers=["id", "p"],
    )
    cfg["methods"] = {"post_training_bias": {"methods": ["DPPL", "DI", "AD"]}}
    cfg.update(overrides)
    return cfg


def _id_frames(rows=300):
    df = frame(rows, seed=11)
    df.insert(0, "id", [f"r{i:04d}" for i in range(rows)])
    rng = random.Random(12)
    predictions = pd.DataFrame({"id": df["id"], "p": [rng.choice([0, 1]) for _ in range(rows)]})
    return df, predictions.sample(frac=1.0, random_state=13).reset_index(drop=True)


def test_predicted_labels_are_joined_by_id_not_by_position(tmp_path):
    df, predictions = _id_frames()
    df.to_csv(tmp_path / "data.csv", index=False)
    predictions.to_csv(tmp_path / "pred.csv", index=False)
    cfg = _post_config(predicted_label_dataset_uri=str(tmp_path / "pred.csv"))
    got = metrics(run(cfg, tmp_path / "data.csv", tmp_path / "out", chunk_rows=70), "f", section="post")
    joined = df.merge(predictions, on="id")
    d, p, y = joined["f"] == 1, joined["p"] == 1, joined["y"] == 1
    q_a, q_d = p[~d].mean(), p[d].mean()
    acc = p == y
    assert close(got["DPPL"], q_a - q_d)
    assert close(got["DI"], q_d / q_a)
    assert close(got["AD"], acc[~d].mean() - acc[d].mean())


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ("drop", r"pred.csv: no predicted label for id 'r0005'"),
        ("duplicate", r"pred.csv: id 'r0005' appears more than once in the predicted-label dataset"),
        ("extra", r"pred.csv: id 'zz' has a predicted label but no row in the dataset"),
        ("data-duplicate", r"joinsource_name_or_index: id 'r0003' appears more than once in the dataset"),
    ],
)
def test_ids_missing_or_repeated_on_either_side_are_named(tmp_path, edit, message):
    df, predictions = _id_frames(50)
    if edit == "drop":
        predictions = predictions[predictions["id"] != "r0005"]
    elif edit == "duplicate":
        predictions = pd.concat([predictions, predictions[predictions["id"] == "r0005"]])
    elif edit == "extra":
        predictions = pd.concat([predictions, pd.DataFrame({"id": ["zz"], "p": [1]})])
    else:
        df.loc[10, "id"] = "r0003"
        predictions = predictions[predictions["id"] != "r0010"]
    df.to_csv(tmp_path / "data.csv", index=False)
    predictions.to_csv(tmp_path / "pred.csv", index=False)
    cfg = _post_config(predicted_label_dataset_uri=str(tmp_path / "pred.csv"))
    with pytest.raises(DataError, match=message):
        run(cfg, tmp_path / "data.csv", tmp_path / "out")


# 7 ------------------------------------------------------------------ wrong types, non-finite settings, jobs


def test_a_text_facet_value_against_a_numeric_column_is_an_error_naming_the_key(tmp_path):
    frame(300).to_csv(tmp_path / "data.csv", index=False)
    cfg = config(facet=[{"name_or_index": "f", "value_or_threshold": ["abc"]}])
    got = metrics(run(cfg, tmp_path / "data.csv", tmp_path / "out"), "f")
    assert {v[0] for v in got.values()} == {"error"}
    assert all(v[1].startswith("facet[0].value_or_threshold: ['abc']") for v in got.values())


def test_a_text_label_value_against_a_numeric_column_is_an_error_naming_the_key(tmp_path):
    frame(300).to_csv(tmp_path / "data.csv", index=False)
    got = metrics(run(config(label_values_or_threshold=["abc"]), tmp_path / "data.csv", tmp_path / "out"), "f")
    assert {v[0] for v in got.values()} == {"error"}
    assert all(v[1].startswith("label_values_or_threshold: ['abc']") for v in got.values())


def test_parquet_text_values_against_numeric_columns(tmp_path):
    df = frame(300)
    df.to_parquet(tmp_path / "data.parquet")
    cfg = config(dataset_type="application/x-parquet", label_values_or_threshold=["1"])
    cfg["facet"] = [{"name_or_index": "f", "value_or_threshold": ["1"]}]
    assert_pre(run(cfg, tmp_path / "data.parquet", tmp_path / "o1"), expected_pre(df, "y", [1], "f", [1]))
    cfg["facet"] = [{"name_or_index": "f", "value_or_threshold": ["x"]}]
    got = metrics(run(cfg, tmp_path / "data.parquet", tmp_path / "o2"), "f")
    assert all(v[1].startswith("facet[0].value_or_threshold: ['x']") for v in got.values())


@pytest.mark.parametrize(
    ("key", "literal"), [("max_payload_mb", "NaN"), ("timeout_seconds", "Infinity"), ("timeout_seconds", "-Infinity")]
)
def test_non_finite_predictor_numbers_are_refused_by_validate_and_run(tmp_path, capsys, key, literal):
    cfg = config(methods={"shap": {"num_samples": 10}})
    cfg["predictor"] = {"endpoint_url": "http://127.0.0.1:9", key: 1.0}
    text = json.dumps(cfg).replace(f'"{key}": 1.0', f'"{key}": {literal}')
    path = tmp_path / "analysis_config.json"
    path.write_text(text)
    assert cli_main(["validate", str(path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"clarion: error: predictor.{key}: expected a finite number, got {float(literal)!r}"
    frame(20).to_csv(tmp_path / "data.csv", index=False)
    with pytest.raises(ConfigError, match=rf"predictor.{key}: expected a finite number"):
        run(str(path), tmp_path / "data.csv", tmp_path / "out")


def test_validate_refuses_what_run_cannot_do(tmp_path, capsys):
    cfg = config(excluded_columns=["f", "g"])
    cfg["methods"] = {"shap": {"num_samples": 10}}
    cfg["predictor"] = {"endpoint_url": "http://127.0.0.1:9"}
    path = tmp_path / "analysis_config.json"
    path.write_text(json.dumps(cfg))
    assert cli_main(["validate", str(path)]) == 1
    assert "features: the dataset has no feature columns left" in capsys.readouterr().err


def _job_root(tmp_path, cfg, data_text="f,y,g\n1,0,a\n"):
    config_path, data_dir, _, message = job_paths(tmp_path)
    config_path.parent.mkdir(parents=True)
    data_dir.mkdir(parents=True)
    (data_dir / "data.csv").write_text(data_text)
    config_path.write_text(cfg if isinstance(cfg, str) else json.dumps(cfg))
    return message


def test_job_failures_write_the_message_file(tmp_path):
    message = _job_root(tmp_path, json.dumps(config()).replace('"headers"', '"headerz"'))
    assert run_job(tmp_path) == 1
    assert message.read_text().startswith("ConfigError: headerz: unknown key")
    root = tmp_path / "second"
    message = _job_root(root, config(), "f,y,g\n1,0,a,b\n")
    assert run_job(root) == 1
    assert message.read_text() == "DataError: " + str(root / "processing/input/data/data.csv") + (
        ":2: Expected 3 fields in line 2, saw 4"
    )


def test_an_unexpected_failure_in_a_job_still_writes_the_message_file(tmp_path, monkeypatch):
    import clarion.engine

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(clarion.engine, "run_analysis", broken)
    message = _job_root(tmp_path, config())
    assert run_job(tmp_path) == 1
    assert message.read_text() == "InternalError: RuntimeError: disk on fire"


# 8 ------------------------------------------------------------------ gzip


def test_gzip_csv_file_and_part_without_suffix(tmp_path):
    df = frame(300, seed=14)
    with gzip.open(tmp_path / "data.csv.gz", "wt") as handle:
        df.to_csv(handle, index=False)
    expected = expected_pre(df, "y", [1], "f", [1])
    assert_pre(run(config(), tmp_path / "data.csv.gz", tmp_path / "o1"), expected)
    folder = tmp_path / "parts"
    folder.mkdir()
    with gzip.open(folder / "part-00000", "wt") as handle:
        df.iloc[:100].to_csv(handle, index=False)
    df.iloc[100:].to_csv(folder / "part-00001.csv", index=False)
    assert_pre(run(config(), folder, tmp_path / "o2"), expected)


def test_gzip_json_lines_part(tmp_path):
    df = frame(300, seed=15)
    folder = tmp_path / "parts"
    folder.mkdir()
    for name, part in (("part-0.jsonl.gz", df.iloc[:150]), ("part-1.jsonl", df.iloc[150:])):
        lines = "".join(json.dumps({"features": [int(r.f), r.g], "label": int(r.y)}) + "\n" for r in part.itertuples())
        if name.endswith(".gz"):
            with gzip.open(folder / name, "wt") as handle:
                handle.write(lines)
        else:
            (folder / name).write_text(lines)
    cfg = config(dataset_type="application/jsonlines", headers=["f", "g", "y"], features="features", label="label")
    assert_pre(run(cfg, folder, tmp_path / "out"), expected_pre(df, "y", [1], "f", [1]))
