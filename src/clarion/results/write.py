"""Writing analysis.json and the config copy into a run's (staging) folder, through the typed model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from clarion.config.load import config_text
from clarion.data.atomic import write_text_atomic
from clarion.results import layout
from clarion.results.encoding import encode
from clarion.results.model import Analysis
from clarion.results.store import read_analysis


def write_analysis(output_dir: str | Path, analysis: Analysis | dict[str, Any], raw_config: dict[str, Any]) -> Path:
    """Write the config as given (the bytes the SageMaker SDK uploads for it), then analysis.json (validated as
    an ``Analysis``; Clarify's number encoding)."""
    out = Path(output_dir)
    document = analysis if isinstance(analysis, Analysis) else Analysis.from_data(encode(analysis))
    write_text_atomic(out / layout.CONFIG_FILE, config_text(raw_config))
    return write_text_atomic(out / layout.ANALYSIS_FILE, document.to_json())


def read_analysis_dict(output_dir: str | Path) -> dict[str, Any]:
    """analysis.json of the run at ``output_dir`` as plain JSON data (numbers as written)."""
    return json.loads(read_analysis(output_dir).to_json())
