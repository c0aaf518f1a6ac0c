"""Shared fixtures for the report tests: a realistic output directory and the system tools the tests drive."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
INSTALL_SCRIPT = REPO / "scripts" / "install_test_system_deps.sh"

SCRIPT_FACET = "<script>alert(1)</script>"
# A payload that would leave a visible mark in the DOM if the page ever ran it.
IMG_FACET = "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"
DOLLAR_FEATURE = "capital $gain"

PRE = [
    ("CDDL", "Conditional Demographic Disparity in Labels (CDDL)"),
    ("CI", "Class Imbalance (CI)"),
    ("DPL", "Difference in Positive Proportions in Labels (DPL)"),
    ("JS", "Jensen-Shannon Divergence (JS)"),
    ("KL", "Kullback-Liebler Divergence (KL)"),
    ("KS", "Kolmogorov-Smirnov Distance (KS)"),
    ("LP", "L-p Norm (LP)"),
    ("TVD", "Total Variation Distance (TVD)"),
]
POST = [
    ("AD", "Accuracy Difference (AD)"),
    ("CDDPL", "Conditional Demographic Disparity in Predicted Labels (CDDPL)"),
    ("DAR", "Difference in Acceptance Rates (DAR)"),
    ("DCA", "Difference in Conditional Acceptance (DCA)"),
    ("DCR", "Difference in Conditional Rejection (DCR)"),
    ("DI", "Disparate Impact (DI)"),
    ("DPPL", "Difference in Positive Proportions in Predicted Labels (DPPL)"),
    ("DRR", "Difference in Rejection Rates (DRR)"),
    ("FT", "Flip Test (FT)"),
    ("GE", "Generalized Entropy (GE)"),
    ("RD", "Recall Difference (RD)"),
    ("SD", "Specificity Difference (SD)"),
    ("TE", "Treatment Equality (TE)"),
]
GROUP_ERROR = "Group variable is empty or not provided"
FT_ERROR = "Facet set is empty"

# Values per facet entry, shaped like an Adult run (positive label ">50K").
PRE_VALUES = {
    ("sex", "Female"): {"CDDL": None, "CI": 0.3392, "DPL": 0.1966, "JS": 0.0302, "KL": 0.1437, "KS": 0.1966,
                        "LP": 0.278, "TVD": 0.1966},
    ("race", "White"): {"CDDL": None, "CI": -0.7086, "DPL": -0.1008, "JS": 0.0085, "KL": 0.0351, "KS": 0.1008,
                        "LP": 0.1426, "TVD": 0.1008},
    ("race", "Black"): {"CDDL": None, "CI": 0.8081, "DPL": 0.1264, "JS": 0.0149, "KL": 0.0689, "KS": 0.1264,
                        "LP": 0.1788, "TVD": 0.1264},
    ("race", SCRIPT_FACET): {"CDDL": None, "CI": 0.98, "DPL": 0.02, "JS": 0.0003, "KL": 0.0012, "KS": 0.02,
                             "LP": 0.0283, "TVD": 0.02},
    ("race", IMG_FACET): {"CDDL": None, "CI": 0.99, "DPL": 0.01, "JS": 0.0001, "KL": 0.0004, "KS": 0.01,
                          "LP": 0.0141, "TVD": 0.01},
    ("age", "(40, 90]"): {"CDDL": None, "CI": 0.2102, "DPL": -0.2134, "JS": 0.0331, "KL": 0.1445, "KS": 0.2134,
                          "LP": 0.3018, "TVD": 0.2134},
}  # fmt: skip
POST_VALUES = {
    ("sex", "Female"): {"AD": 0.1132, "CDDPL": None, "DAR": 0.0482, "DCA": -0.0741, "DCR": 0.1302, "DI": 0.3567,
                        "DPPL": 0.1476, "DRR": 0.0988, "FT": -0.0525, "GE": 0.0994, "RD": 0.0512, "SD": 0.0131,
                        "TE": "Infinity"},
    ("race", "White"): {"AD": -0.04, "CDDPL": None, "DAR": -0.02, "DCA": 0.03, "DCR": -0.05, "DI": 1.62,
                        "DPPL": -0.0802, "DRR": -0.03, "FT": 0.012, "GE": 0.0994, "RD": -0.06, "SD": -0.01,
                        "TE": -0.4},
    ("race", "Black"): {"AD": 0.07, "CDDPL": None, "DAR": 0.05, "DCA": "-Infinity", "DCR": 0.09, "DI": 0.52,
                        "DPPL": 0.0921, "DRR": 0.06, "FT": None, "GE": 0.0994, "RD": 0.08, "SD": 0.02, "TE": 0.3},
    ("race", SCRIPT_FACET): {"AD": 0.0, "CDDPL": None, "DAR": 0.0, "DCA": 0.0, "DCR": 0.0, "DI": 0.95,
                             "DPPL": 0.01, "DRR": 0.0, "FT": 0.0, "GE": 0.0994, "RD": 0.0, "SD": 0.0, "TE": 0.0},
    ("race", IMG_FACET): {"AD": 0.0, "CDDPL": None, "DAR": 0.0, "DCA": 0.0, "DCR": 0.0, "DI": 1.0,
                          "DPPL": 0.0, "DRR": 0.0, "FT": 0.0, "GE": 0.0994, "RD": 0.0, "SD": 0.0, "TE": 0.0},
    ("age", "(40, 90]"): {"AD": -0.0912, "CDDPL": None, "DAR": 0.011, "DCA": 0.04, "DCR": -0.02, "DI": 2.4712,
                          "DPPL": -0.1987, "DRR": -0.05, "FT": 0.0301, "GE": 0.0994, "RD": -0.04, "SD": -0.03,
                          "TE": 0.21},
}  # fmt: skip

FEATURES = ["age", "workclass", "education-num", "marital-status", "occupation", "relationship", DOLLAR_FEATURE,
            "hours-per-week"]  # fmt: skip
SHAP_LABEL0 = {
    "age": 0.0412,
    "workclass": 0.0061,
    "education-num": 0.0538,
    "marital-status": 0.0733,
    "occupation": 0.0215,
    "relationship": 0.0682,
    DOLLAR_FEATURE: 0.0301,
    "hours-per-week": 0.0187,
}
SHAP_LABEL1 = {f: round(v * 0.9, 4) for f, v in SHAP_LABEL0.items()}
STDERR_LABEL0 = {f: round(v * 0.08, 5) for f, v in SHAP_LABEL0.items()}
LOCAL_ROWS = [
    ("id-001", [0.031, -0.004, 0.052, 0.088, -0.012, 0.071, 0.0, -0.019]),
    ("id-002", [-0.045, 0.002, -0.031, -0.067, 0.008, -0.059, 0.0, 0.011]),
    ("id-003", [0.012, 0.003, 0.091, 0.064, 0.027, 0.055, 0.412, 0.021]),
]
TEXT_RECORDS = [
    ("r1", [("I loved ", 0, 0.41), ("this ", 8, 0.02), ("dress, ", 13, 0.05), ("but ", 20, -0.11),
            ("the zip broke.", 24, -0.37)]),
    ("r2", [("Great fit and fabric.", 0, 0.3), ("Would buy again.", 22, 0.21)]),
]  # fmt: skip

SETUP = {
    "dataset": "datasets/adult/adult.data",
    "label": "income",
    "facets": ["sex", "race", "age"],
    "group_variable": None,
    "model": "xgboost (in-process)",
    "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"},
                "shap": {"num_samples": 100, "agg_method": "mean_abs", "seed": 7}, "pdp": {"grid_resolution": 5}},
    "predictor": {"endpoint_name": "my-endpoint", "custom_attributes": "api_key=SECRET-SHOULD-NOT-SHOW"},
}  # fmt: skip


def _metric(code: str, description: str, value: object, error: str | None) -> dict:
    out = {"name": code, "description": description, "value": value}
    if value is None:
        out["error"] = error
    return out


def _section(label_positive: str, table: dict, metrics: list[tuple[str, str]]) -> dict:
    facets: dict[str, list] = {}
    for (facet, value), values in table.items():
        facets.setdefault(facet, []).append(
            {
                "value_or_threshold": value,
                "metrics": [
                    _metric(code, desc, values[code], GROUP_ERROR if code.startswith("CDD") else FT_ERROR)
                    for code, desc in metrics
                ],
            }
        )
    return {"label": "income", "label_value_or_threshold": label_positive, "facets": facets}


def realistic_analysis() -> dict:
    """An analysis.json in Clarify's structure with infinities, failed metrics, several facets (one-vs-rest and a
    numeric interval), two SHAP outputs (one with standard errors), and numerical, categorical and failed PDP."""
    return {
        "version": "1.0",
        "pre_training_bias_metrics": _section(">50K", PRE_VALUES, PRE),
        "post_training_bias_metrics": _section(">50K", POST_VALUES, POST),
        "explanations": {
            "kernel_shap": {
                "label0": {
                    "global_shap_values": SHAP_LABEL0,
                    "expected_value": 0.2391,
                    "global_shap_values_stderr": STDERR_LABEL0,
                },
                "label1": {"global_shap_values": SHAP_LABEL1, "expected_value": 0.7609},
            },  # fmt: skip
            "pdp": [
                {
                    "feature_name": "age",
                    "data_type": "numerical",
                    "feature_values": [21.1, 31.3, 45.8, 60.2, 78.5],
                    "data_distribution": [0.21, 0.28, 0.27, 0.17, 0.07],
                    "model_predictions": [[0.08, 0.19, 0.31, 0.28, 0.22], [0.92, 0.81, 0.69, 0.72, 0.78]],
                    "label_headers": ["label0", "label1"],
                },
                {
                    "feature_name": "workclass",
                    "data_type": "categorical",
                    "feature_values": ["Private", "Self-emp", "Gov", "<b>Never</b>"],
                    "data_distribution": [0.7, 0.11, 0.13, 0.06],
                    "model_predictions": [[0.21, 0.33, 0.27, 0.02]],
                    "label_headers": ["label0"],
                },
                {
                    "feature_name": "comment",
                    "data_type": "free_text",
                    "error": "Detected data type is not supported for PDP. "
                    "PDP can only be computed for numerical or categorical columns",
                },
            ],  # fmt: skip
        },
    }


def write_output_dir(root: Path, *, local: bool = True, text: bool = True, setup_file: bool = True) -> Path:
    """Write the realistic analysis.json plus out.csv / out.jsonl / analysis_config.json into ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "analysis.json").write_text(json.dumps(realistic_analysis(), indent=2), encoding="utf-8")
    shap_dir = root / "explanations_shap"
    if local or text:
        shap_dir.mkdir(exist_ok=True)
    if local:
        header = ["id"] + [f"{f}_{lab}" for lab in ("label0", "label1") for f in FEATURES]
        lines = [",".join(f'"{h}"' if "," in h else h for h in header)]
        for row_id, values in LOCAL_ROWS:
            lines.append(",".join([row_id] + [str(v) for v in values] + [str(round(-v, 4)) for v in values]))
        (shap_dir / "out.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if text:
        with (shap_dir / "out.jsonl").open("w", encoding="utf-8") as fh:
            for row_id, units in TEXT_RECORDS:
                record = {
                    "explanations": [
                        {"feature_name": "review", "data_type": "free_text",
                         "attributions": [{"attribution": [a, -a], "description": {"partial_text": t, "start_idx": s}}
                                          for t, s, a in units]},
                        {"feature_name": "age", "data_type": "numerical", "attributions": [{"attribution": [0.1]}]},
                    ],
                    "join_source_value": row_id,
                }  # fmt: skip
                fh.write(json.dumps(record) + "\n")
    if setup_file:
        (root / "analysis_config.json").write_text(json.dumps(SETUP), encoding="utf-8")
    return root


def write_small_dir(root: Path) -> Path:
    """An output directory with only one pre-training facet entry (quick to render)."""
    root.mkdir(parents=True, exist_ok=True)
    small = {"sex": {"Female": PRE_VALUES[("sex", "Female")]}}
    table = {(f, v): vals for f, entries in small.items() for v, vals in entries.items()}
    analysis = {"version": "1.0", "pre_training_bias_metrics": _section(">50K", table, PRE)}
    (root / "analysis.json").write_text(json.dumps(analysis), encoding="utf-8")
    return root


def require_tool(name: str) -> str:
    """Path of a system tool the tests drive; fails (not skips) naming the script that installs it. Tests never
    install system packages themselves: ``scripts/test.sh`` runs the install script before pytest."""
    path = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if path is None:
        pytest.fail(
            f"{name} is required by the report tests; install it with {INSTALL_SCRIPT} (scripts/test.sh does)",
            pytrace=False,
        )
    return path


def chromium_command(profile: Path) -> list[str]:
    """Headless Chromium with networking side channels off and a throw-away profile."""
    return [
        require_tool("chromium"),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
    ]
