"""One complete run per output location: staged commit, manifest, carried-over files, fsspec URIs (moto S3)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import fsspec
import pytest

from clarion import api
from clarion.cli import main
from clarion.errors import OutputError
from clarion.results import layout, read_analysis, staged_run, verify_run
from clarion.results.store import STAGING_MARK

BIAS = {
    "dataset_type": "text/csv",
    "headers": ["x", "sex", "y"],
    "label": "y",
    "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "sex", "value_or_threshold": [1]}],
    "methods": {"pre_training_bias": {"methods": ["CI", "DPL"]}},
}
ROWS = ((1, 0, 1), (2, 1, 0), (3, 1, 1), (4, 0, 0), (5, 0, 1)) * 10  # CI = (30 - 20)/50 = 0.2


def write_inputs(folder: Path, config: dict) -> tuple[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "data.csv").write_text("".join(",".join(map(str, r)) + "\n" for r in ROWS))
    return str(folder / "config.json"), str(folder / "data.csv")


def with_methods(**methods) -> dict:
    return dict(BIAS, methods=methods)


def files_below(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def manifest_files(folder: Path) -> dict:
    return json.loads((folder / layout.MANIFEST_FILE).read_text())["files"]


def test_a_run_is_committed_with_a_manifest_of_its_files(tmp_path):
    config, data = write_inputs(tmp_path / "in", BIAS)
    out = tmp_path / "out"
    assert main(["run", config, "-d", data, "-o", str(out), "-q"]) == 0
    assert files_below(out) == {"analysis.json", "analysis_config.json", layout.MANIFEST_FILE}
    listed = manifest_files(out)
    assert set(listed) == {"analysis.json", "analysis_config.json"}
    for name, entry in listed.items():
        raw = (out / name).read_bytes()
        assert entry == {"sha256": hashlib.sha256(raw).hexdigest(), "size": len(raw)}
    ci = read_analysis(out).pre_training_bias_metrics.facets["sex"][0].metrics[0]
    assert (ci.name, ci.value) == ("CI", pytest.approx(0.2))
    assert [p.name for p in tmp_path.iterdir()] == ["in", "out"] or sorted(p.name for p in tmp_path.iterdir()) == [
        "in",
        "out",
    ]


def test_a_new_run_replaces_every_file_of_the_previous_one_and_keeps_foreign_files(tmp_path):
    report = with_methods(pre_training_bias={"methods": ["CI"]}, report={"name": "audit", "title": "T"})
    config, data = write_inputs(tmp_path / "a", report)
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "sub").mkdir()
    (out / "sub" / "keep.csv").write_text("1,2\n")
    assert main(["run", config, "-d", data, "-o", str(out), "-q"]) == 0
    assert {"audit.html", "audit.pdf", "audit.ipynb", "notes.txt", "sub/keep.csv"} <= files_below(out)
    config2, _ = write_inputs(tmp_path / "b", BIAS)
    assert main(["run", config2, "-d", data, "-o", str(out), "-q"]) == 0
    assert files_below(out) == {"analysis.json", "analysis_config.json", layout.MANIFEST_FILE, "notes.txt",
                                "sub/keep.csv"}  # fmt: skip
    assert (out / "notes.txt").read_text() == "mine" and set(manifest_files(out)) == {
        "analysis.json",
        "analysis_config.json",
    }
    assert not [p for p in tmp_path.iterdir() if STAGING_MARK in p.name]


def test_a_failed_run_leaves_the_previous_run_untouched(tmp_path):
    config, data = write_inputs(tmp_path / "in", BIAS)
    out = tmp_path / "out"
    assert main(["run", config, "-d", data, "-o", str(out), "-q"]) == 0
    before = {name: (out / name).read_bytes() for name in files_below(out)}
    bad = tmp_path / "in" / "bad.csv"
    bad.write_text("1,0,1\n2,1\n")
    assert main(["run", config, "-d", str(bad), "-o", str(out), "-q"]) == 1
    assert {name: (out / name).read_bytes() for name in files_below(out)} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]


def test_staging_folders_of_dead_processes_are_removed_by_the_next_run(tmp_path):
    config, data = write_inputs(tmp_path / "in", BIAS)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".out{STAGING_MARK}{int(dead.stdout)}-abc"
    stale.mkdir()
    (stale / "analysis.json").write_text("{}")
    live = tmp_path / f".out{STAGING_MARK}{os.getpid()}-def"  # a run in progress (this process) is left alone
    live.mkdir()
    assert main(["run", config, "-d", data, "-o", str(tmp_path / "out"), "-q"]) == 0
    assert not stale.exists() and live.exists()


def test_readers_check_the_manifest(tmp_path, capsys):
    config, data = write_inputs(tmp_path / "in", BIAS)
    out = tmp_path / "out"
    assert main(["run", config, "-d", data, "-o", str(out), "-q"]) == 0
    assert verify_run(out) is not None
    text = (out / "analysis.json").read_text()
    (out / "analysis.json").write_text(text.replace('"CI"', '"DPL"', 1))  # a file of another run
    assert main(["card", str(out)]) == 1
    assert "analysis.json: does not match the run's manifest" in capsys.readouterr().err
    assert main(["report", str(out)]) == 1
    (out / layout.MANIFEST_FILE).write_text(json.dumps({"format": "clarion-run/1", "writing": True, "files": {}}))
    with pytest.raises(OutputError, match="the run written here did not finish"):
        read_analysis(out)


def test_card_and_report_commands_add_their_files_to_the_run(tmp_path):
    config, data = write_inputs(tmp_path / "in", BIAS)
    out = tmp_path / "out"
    assert main(["run", config, "-d", data, "-o", str(out), "-q"]) == 0
    assert main(["card", str(out)]) == 0
    assert {"model_card.md", "model_card.json"} <= set(manifest_files(out))
    assert verify_run(out) is not None


def test_an_exception_inside_a_staged_run_commits_nothing(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(RuntimeError), staged_run(out) as staging:
        (staging / "analysis.json").write_text("{}")
        raise RuntimeError("stop")
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_memory_uri_output(tmp_path):
    config, data = write_inputs(tmp_path / "in", BIAS)
    uri = "memory://clarion-results-test/run1"
    assert main(["run", config, "-d", data, "-o", uri, "-q"]) == 0
    fs = fsspec.filesystem("memory")
    assert sorted(fs.find("/clarion-results-test/run1")) == [
        f"/clarion-results-test/run1/{name}" for name in ("analysis.json", "analysis_config.json", layout.MANIFEST_FILE)
    ]
    assert read_analysis(uri).pre_training_bias_metrics.label == "y"
    assert not (Path.cwd() / "memory:").exists()


@pytest.mark.slow
def test_s3_output_through_a_local_moto_server(tmp_path, s3_bucket, monkeypatch, capsys):
    import s3fs

    monkeypatch.chdir(tmp_path)
    report = with_methods(pre_training_bias={"methods": ["CI"]}, report={"name": "audit", "title": "T"})
    config, data = write_inputs(tmp_path / "a", report)
    uri = f"s3://{s3_bucket.name}/results/run"
    assert main(["run", config, "-d", data, "-o", uri]) == 0
    assert f"Wrote {uri}/analysis.json" in capsys.readouterr().err
    assert not (tmp_path / "s3:").exists()
    fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": s3_bucket.endpoint})
    prefix = f"{s3_bucket.name}/results/run/"
    names = sorted(p.removeprefix(prefix) for p in fs.find(prefix))
    assert names == ["analysis.json", "analysis_config.json", "audit.html", "audit.ipynb", "audit.pdf",
                     layout.MANIFEST_FILE]  # fmt: skip
    listed = json.loads(fs.cat(prefix + layout.MANIFEST_FILE))["files"]
    assert listed["analysis.json"]["sha256"] == hashlib.sha256(fs.cat(prefix + "analysis.json")).hexdigest()
    # a second run without a report: the previous run's report objects go
    config2, _ = write_inputs(tmp_path / "b", BIAS)
    assert main(["run", config2, "-d", data, "-o", uri, "-q"]) == 0
    names = sorted(p.removeprefix(prefix) for p in fs.find(prefix))
    assert names == ["analysis.json", "analysis_config.json", layout.MANIFEST_FILE]
    assert main(["card", uri]) == 0
    assert json.loads(fs.cat(prefix + "model_card.json"))["label"] == "y"
    assert "model_card.md" in json.loads(fs.cat(prefix + layout.MANIFEST_FILE))["files"]
    # readers trust the run only through the manifest
    fs.pipe(prefix + "analysis.json", fs.cat(prefix + "analysis.json").replace(b'"CI"', b'"DPL"'))
    assert main(["report", uri]) == 1
    assert "does not match the run's manifest" in capsys.readouterr().err


@pytest.mark.slow
def test_api_s3_output_path(tmp_path, s3_bucket, monkeypatch):
    import s3fs

    monkeypatch.chdir(tmp_path)
    _, data = write_inputs(tmp_path / "in", BIAS)
    uri = f"s3://{s3_bucket.name}/api-out"
    config = api.DataConfig(data, uri, label="y", headers=["x", "sex", "y"], dataset_type="text/csv")
    bias = api.BiasConfig([1], "sex", facet_values_or_threshold=[1])
    api.ClarifyProcessor(quiet=True).run_pre_training_bias(config, bias, methods=["CI"])
    fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": s3_bucket.endpoint})
    names = sorted(p.rsplit("/", 1)[1] for p in fs.find(f"{s3_bucket.name}/api-out"))
    # the SDK's config asks for the report by default
    assert names == ["analysis.json", "analysis_config.json", layout.MANIFEST_FILE, "report.html", "report.ipynb",
                     "report.pdf"]  # fmt: skip
    written = json.loads(fs.cat(f"{s3_bucket.name}/api-out/analysis_config.json"))
    assert written["methods"]["pre_training_bias"] == {"methods": ["CI"]}
    ci = read_analysis(uri).pre_training_bias_metrics.facets["sex"][0].metrics[0]
    assert ci.value == pytest.approx(0.2)
    assert not (tmp_path / "s3:").exists()


def test_in_place_commit_where_folders_cannot_be_swapped(tmp_path, monkeypatch):
    """A mount point or a file system without RENAME_EXCHANGE: marker, files, leftovers removed, manifest last."""
    from clarion.results import store

    monkeypatch.setattr(store, "_exchange", lambda a, b: False)
    report = with_methods(pre_training_bias={"methods": ["CI"]}, report={"name": "audit", "title": "T"})
    config, data = write_inputs(tmp_path / "a", report)
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(["run", config, "-d", data, "-o", str(out), "-q"]) == 0  # the folder exists: not renamed
    assert {"audit.html", "audit.pdf", "audit.ipynb"} <= set(manifest_files(out))
    config2, _ = write_inputs(tmp_path / "b", BIAS)
    assert main(["run", config2, "-d", data, "-o", str(out), "-q"]) == 0
    assert files_below(out) == {"analysis.json", "analysis_config.json", layout.MANIFEST_FILE, "notes.txt"}
    assert verify_run(out) is not None and sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "out"]


def test_a_symbolic_link_output_keeps_pointing_at_the_run(tmp_path):
    config, data = write_inputs(tmp_path / "in", BIAS)
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    for _ in range(2):
        assert main(["run", config, "-d", data, "-o", str(tmp_path / "link"), "-q"]) == 0
    assert (tmp_path / "link").is_symlink() and verify_run(tmp_path / "link") is not None
    assert files_below(real) == {"analysis.json", "analysis_config.json", layout.MANIFEST_FILE}
