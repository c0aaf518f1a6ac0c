"""The command line: exit codes, one-line errors, --debug tracebacks, validate, run, job mode."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from clarion.cli import main

CONFIG = {
    "dataset_type": "text/csv",
    "headers": ["x", "sex", "y"],
    "label": "y",
    "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "sex", "value_or_threshold": [1]}],
    "methods": {"pre_training_bias": {"methods": ["CI"]}},
}


def write_config(tmp_path, config=CONFIG, name="analysis_config.json"):
    path = tmp_path / name
    path.write_text(json.dumps(config))
    return path


def write_data(tmp_path, rows=((1, 0, 1), (2, 1, 0), (3, 1, 1), (4, 0, 0), (5, 0, 1)) * 10):
    """50 rows, so integer columns with two values are categorical under smclarify's 5% uniqueness rule."""
    path = tmp_path / "data.csv"
    path.write_text("".join(",".join(map(str, r)) + "\n" for r in rows))
    return path


def test_validate_accepts_a_good_config(tmp_path, capsys):
    assert main(["validate", str(write_config(tmp_path))]) == 0
    assert "valid (text/csv; pre_training_bias (1 metrics))" in capsys.readouterr().out


def test_bad_config_is_one_line_and_exit_1(tmp_path, capsys):
    bad = dict(CONFIG, methods={"shap": {"num_samples": -3}})
    assert main(["validate", str(write_config(tmp_path, bad))]) == 1
    err = capsys.readouterr().err
    assert err == "clarion: error: methods.shap.num_samples: expected a positive integer, got -3\n"


def test_debug_shows_the_traceback(tmp_path, capsys):
    bad = dict(CONFIG, methods={"shap": {"num_samples": -3}})
    assert main(["validate", str(write_config(tmp_path, bad)), "--debug"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and err.rstrip().endswith("expected a positive integer, got -3")


def test_usage_error_exits_2(capsys):
    assert main(["run"]) == 2


def test_run_without_dataset_names_the_key(tmp_path, capsys):
    code = main(["run", str(write_config(tmp_path)), "--output", str(tmp_path / "out"), "--quiet"])
    assert code == 1
    assert "dataset_uri: no dataset given" in capsys.readouterr().err
    assert not (tmp_path / "out" / "analysis.json").exists()


def test_run_with_missing_data_file(tmp_path, capsys):
    code = main(["run", str(write_config(tmp_path)), "--data", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "o")])
    assert code == 1
    assert capsys.readouterr().err.strip().endswith("nope.csv: dataset not found")


def test_run_writes_analysis_json(tmp_path):
    data = write_data(tmp_path)
    code = main(["run", str(write_config(tmp_path)), "--data", str(data), "-o", str(tmp_path / "out"), "-q"])
    assert code == 0
    analysis = json.loads((tmp_path / "out" / "analysis.json").read_text())
    metric = analysis["pre_training_bias_metrics"]["facets"]["sex"][0]["metrics"][0]
    # facet d = sex 1 (20 rows), a = the other 30 rows: CI = (30 - 20) / 50
    assert metric["name"] == "CI" and abs(metric["value"] - 0.2) < 1e-12
    assert json.loads((tmp_path / "out" / "analysis_config.json").read_text()) == CONFIG


def test_bad_row_fails_the_run_and_leaves_no_analysis_json(tmp_path, capsys):
    data = tmp_path / "data.csv"
    data.write_text("1,0,1\n2,1,0\n3,1\n")
    code = main(["run", str(write_config(tmp_path)), "--data", str(data), "-o", str(tmp_path / "out"), "-q"])
    assert code == 1
    assert "data.csv:3: Expected 3 fields in line 3, saw 2" in capsys.readouterr().err
    assert not (tmp_path / "out" / "analysis.json").exists()


@pytest.mark.slow
def test_relative_dataset_uri_is_read_from_the_config_folder(tmp_path):
    write_data(tmp_path)
    config = write_config(tmp_path, dict(CONFIG, dataset_uri="data.csv"))
    result = subprocess.run(
        [sys.executable, "-m", "clarion.cli", "run", str(config), "-o", str(tmp_path / "out"), "-q"],
        cwd="/",
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "analysis.json").is_file()


def test_job_mode_reads_and_writes_the_processing_layout(tmp_path):
    root = tmp_path / "ml"
    (root / "processing" / "input" / "config").mkdir(parents=True)
    (root / "processing" / "input" / "data").mkdir(parents=True)
    write_config(root / "processing" / "input" / "config")
    write_data(root / "processing" / "input" / "data")
    assert main(["job", "--root", str(root), "-q"]) == 0
    analysis = json.loads((root / "processing" / "output" / "analysis.json").read_text())
    assert analysis["pre_training_bias_metrics"]["label"] == "y"
    assert not (root / "output" / "message").exists()


def test_job_mode_failure_writes_the_message_file(tmp_path):
    root = tmp_path / "ml"
    (root / "processing" / "input" / "config").mkdir(parents=True)
    write_config(root / "processing" / "input" / "config", dict(CONFIG, headers=["x", "sex", "zz"]))
    assert main(["job", "--root", str(root), "-q"]) == 1
    message = (root / "output" / "message").read_text()
    assert message.startswith("ConfigError: label: column 'y' is not in headers")


@pytest.mark.slow
def test_report_and_card_commands_rerender_from_an_output_directory(tmp_path, capsys):
    config = dict(CONFIG, methods={"pre_training_bias": {"methods": "all"}, "report": {"name": "audit", "title": "T"}})
    data = write_data(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(write_config(tmp_path, config)), "--data", str(data), "-o", str(out), "-q"]) == 0
    first = (out / "audit.html").stat().st_mtime_ns
    (out / "audit.pdf").unlink()
    assert main(["report", str(out)]) == 0
    listed = capsys.readouterr().out.split()
    assert sorted(listed) == sorted(str(out / f"audit.{ext}") for ext in ("html", "pdf", "ipynb"))
    assert (out / "audit.pdf").read_bytes().startswith(b"%PDF") and (out / "audit.html").stat().st_mtime_ns >= first
    assert main(["card", str(out), "-o", str(tmp_path / "card")]) == 0
    assert (tmp_path / "card" / "model_card.md").read_text().count("CI") >= 1
    assert main(["report", str(tmp_path / "empty")]) == 1
    assert "no analysis.json here" in capsys.readouterr().err
