"""methods.report.name is a plain file name: validate refuses separators and '..' with the key path."""

from __future__ import annotations

import json

import pytest

from clarion.cli import main
from clarion.config import load_config
from clarion.errors import ConfigError

CONFIG = {"dataset_type": "text/csv", "headers": ["a", "b"], "label": "b", "methods": {"report": {"name": "audit"}}}


def with_name(name: str) -> dict:
    return dict(CONFIG, methods={"report": {"name": name, "title": "T"}})


@pytest.mark.parametrize("name", ["../escape", "sub/report", "..", ".", "a\\b", "/tmp/report", "x..y", "", "  "])
def test_report_names_that_leave_the_output_folder_are_refused(name):
    with pytest.raises(ConfigError, match=r"^methods\.report\.name: expected a plain file name"):
        load_config(with_name(name))


@pytest.mark.parametrize("name", ["report", "audit-2026", "bias report", "r.v1"])
def test_plain_names_are_accepted(name):
    assert load_config(with_name(name)).methods.report.name == name


def test_validate_command_refuses_a_path_in_the_name(tmp_path, capsys):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(with_name("../../etc/report")))
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("clarion: error: methods.report.name: expected a plain file name") and err.count("\n") == 1
