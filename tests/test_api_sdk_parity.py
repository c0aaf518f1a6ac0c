"""clarion.api writes the same analysis_config.json as the sagemaker SDK v2 for the same arguments.

The reference configs are built by the SDK itself, in its own virtualenv (pandas/numpy pins differ):
run ``python tests/api_reference/make_sdk_configs.py --setup`` once (needs the package index), or point
``CLARION_SAGEMAKER_PYTHON`` at an interpreter that has ``sagemaker<3``. The test then runs the SDK in
a subprocess (no network) and compares key for key, in the same key order.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import clarion.api as api
import clarion.api.processor as processor_module
from clarion.config import load_config
from clarion.config.methods import TEXT_LANGUAGES

pytestmark = [pytest.mark.sdk, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = ROOT / "tests" / "api_reference"


def _load_cases() -> Any:
    spec = importlib.util.spec_from_file_location("clarion_api_cases", REFERENCE_DIR / "cases.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


cases = _load_cases()


@pytest.fixture(scope="module")
def sdk_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    python = os.environ.get("CLARION_SAGEMAKER_PYTHON", str(ROOT / "bench" / ".venvs" / "sagemaker" / "bin" / "python"))
    if not Path(python).exists():
        pytest.fail(
            f"the sagemaker SDK reference interpreter {python} is missing; "
            "run: python tests/api_reference/make_sdk_configs.py --setup"
        )
    out = tmp_path_factory.mktemp("sdk") / "sdk_configs.json"
    env = {**os.environ, "SAGEMAKER_SUPPRESS_V2_WARNING": "1"}
    subprocess.run(
        [python, str(REFERENCE_DIR / "make_sdk_configs.py"), str(out)], check=True, env=env, capture_output=True
    )
    return json.loads(out.read_text(encoding="utf-8"))


class FakeEngine:
    """Stands in for clarion.engine.run_analysis: records the call, returns a marker."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, dict[str, Any]]] = []

    def __call__(self, config: Any, **kwargs: Any) -> dict[str, Any]:
        self.calls.append((config, kwargs))
        return {"ran": len(self.calls)}


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    fake = FakeEngine()
    monkeypatch.setattr(processor_module, "_engine_runner", lambda: fake)
    return fake


@pytest.mark.parametrize("case", sorted(cases.CASES))
def test_same_config_as_sdk(case: str, sdk_results: dict[str, Any], engine: FakeEngine, tmp_path: Path) -> None:
    method, kwargs = cases.CASES[case]
    expected = sdk_results[case]
    processor = api.ClarifyProcessor(quiet=True)
    if "error" in expected:
        with pytest.raises(api.ArgumentError):
            getattr(processor, method)(**cases.instantiate(kwargs, api, str(tmp_path)))
        assert engine.calls == []
        return
    result = getattr(processor, method)(**cases.instantiate(kwargs, api, str(tmp_path)))

    assert expected["schema_error"] is None, expected["schema_error"]
    built = processor._last_analysis_config
    assert built == expected["config"]
    assert json.dumps(built) == json.dumps(expected["config"]), "same keys, different key order"
    assert result == {"ran": 1}
    config, call = engine.calls[0]
    assert config == expected["config"]  # the engine gets the SDK's config itself, not a normalised form
    assert json.dumps(config) == expected["uploaded"], "the bytes the SDK uploads"
    assert load_config(config) == load_config(expected["config"])
    assert call == {
        "data_uri": str(tmp_path / Path(kwargs["data_config"]["kw"]["s3_data_input_path"]).name),
        "output_dir": str(tmp_path / "result"),
        "engine": "local",
        "quiet": True,
        "model": None,
        "workers": None,
    }


def test_build_functions_match_sdk(sdk_results: dict[str, Any], tmp_path: Path) -> None:
    """The build_* functions (no run) give the SDK's config for the positional SDK generator arguments."""
    kwargs = cases.instantiate(cases.CASES["bias_and_explainability_list"][1], api, str(tmp_path))
    built = api.build_bias_and_explainability(
        kwargs["data_config"], kwargs["model_config"], kwargs["model_predicted_label_config"],
        kwargs["explainability_config"], kwargs["bias_config"], kwargs["pre_training_methods"],
        kwargs["post_training_methods"],
    )  # fmt: skip
    assert built == sdk_results["bias_and_explainability_list"]["config"]
    kwargs = cases.instantiate(cases.CASES["shap_clusters_median_logit"][1], api, str(tmp_path))
    built = api.build_explainability(
        kwargs["data_config"], kwargs["model_config"], kwargs["model_scores"], kwargs["explainability_config"]
    )
    assert built == sdk_results["shap_clusters_median_logit"]["config"]


def test_text_languages_match_sdk(sdk_results: dict[str, Any]) -> None:
    sdk_languages = set(sdk_results["__text_languages__"]["config"])
    assert sdk_languages == set(TEXT_LANGUAGES) | set(TEXT_LANGUAGES.values())
