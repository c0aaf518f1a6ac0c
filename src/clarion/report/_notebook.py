"""The notebook report: an nbformat v4 notebook that reads ``analysis.json`` beside it and draws the same charts.

The notebook is standalone: its first code cell holds the source of the report's metric catalogue and chart
module, so it runs with only pandas and matplotlib installed (clarion is not needed to re-run it).
"""

from __future__ import annotations

import inspect

import nbformat
from nbformat import v4

from clarion.report import _charts
from clarion.report._data import ReportData
from clarion.results import catalogue as _catalogue
from clarion.results import layout
from clarion.results.escape import markdown_text

SETUP = """\
%matplotlib inline
import json
from pathlib import Path

import pandas as pd
from IPython.display import display

pd.set_option("display.max_colwidth", None)
pd.set_option("display.max_rows", 500)
analysis = json.loads(Path("__ANALYSIS_FILE__").read_text(encoding="utf-8"))
explanations = analysis.get("explanations", {})"""

BIAS = """\
stage = "{stage}"
section = analysis["{stage}_bias_metrics"]
print(f"Label {{section['label']!r}}, positive value(s) {{section['label_value_or_threshold']!r}}")
rows, entries, codes = [], [], []
for facet, items in section["facets"].items():
    for item in items:
        entry = f"{{facet}} = {{item['value_or_threshold']}}"
        values = {{}}
        for m in item["metrics"]:
            value = parse_metric_value(m.get("value"))
            values[m["name"]] = value
            if m["name"] in METRICS and m["name"] not in codes:
                codes.append(m["name"])
            rows.append({{
                "facet": entry,
                "metric": m["name"],
                "value": format_value(value),
                "status": "error" if value is None else ("outside band" if is_flagged(m["name"], value) else "ok"),
                "reading": reading(m["name"], value) if value is not None else m.get("error", ""),
            }})
        entries.append((entry, values))
display(pd.DataFrame(rows))
panels = [(c, METRICS[c].band, METRICS[c].fair, [(e, v.get(c)) for e, v in entries]) for c in codes]
if panels:
    display(bias_chart(panels))"""

SHAP = """\
for label, body in explanations["kernel_shap"].items():
    values = {f: parse_metric_value(v) for f, v in body.get("global_shap_values", {}).items()}
    features = sorted((f for f in values if values[f] is not None), key=lambda f: -abs(values[f]))
    raw_err = body.get("global_shap_values_stderr")
    stderr = [parse_metric_value(raw_err.get(f)) for f in features] if raw_err else None
    print(f"{label}: expected value {body.get('expected_value')}")
    if features:
        display(shap_chart(features, [values[f] for f in features], stderr, f"Global SHAP values · {label}"))"""

LOCAL = """\
local = pd.read_csv("__LOCAL_SHAP_CSV__")
labels = list(explanations.get("kernel_shap", {})) or sorted({c.rsplit("_", 1)[1] for c in local.columns if "_" in c})
suffixes = sorted(labels, key=len, reverse=True)
label_of = {c: next((lab for lab in suffixes if c.endswith("_" + lab) and len(c) > len(lab) + 1), None)
            for c in local.columns}
id_columns = [c for c, lab in label_of.items() if lab is None]
for n in range(min(3, len(local))):
    row = local.iloc[n]
    name = str(row[id_columns[0]]) if id_columns else f"row {n + 1}"
    for label in labels:
        pairs = [(c[: -len(label) - 1], float(row[c])) for c, lab in label_of.items() if lab == label]
        pairs.sort(key=lambda p: -abs(p[1]))
        if pairs:
            display(local_chart([f for f, _ in pairs], [v for _, v in pairs], f"{name} · {label}"))"""

PDP = """\
for item in explanations["pdp"]:
    if item.get("error") or not item.get("feature_values"):
        print(f"{item.get('feature_name')}: {item.get('error', 'no values')}")
        continue
    kind = item.get("data_type", "numerical")
    if kind == "numerical" and not all(isinstance(v, (int, float)) for v in item["feature_values"]):
        kind = "categorical"
    display(pdp_chart(item["feature_name"], kind, item["feature_values"], item["model_predictions"],
                      item.get("label_headers", []), item.get("data_distribution", [])))"""

TEXT = """\
records = [json.loads(line) for line in Path("__LOCAL_SHAP_JSONL__").read_text(encoding="utf-8").splitlines()
           if line.strip()][:6]
for n, record in enumerate(records, start=1):
    for expl in record.get("explanations", []):
        if expl.get("data_type", "free_text") != "free_text":
            continue
        units = pd.DataFrame([{"unit": a["description"]["partial_text"], "start": a["description"]["start_idx"],
                               "attribution": a["attribution"][0]} for a in expl["attributions"]])
        peak = units["attribution"].abs().max() or 1.0
        print(f"{record.get('join_source_value', f'record {n}')} · {expl['feature_name']}")
        display(units.sort_values("start").style.background_gradient(cmap="RdBu", vmin=-peak, vmax=peak,
                                                                   subset=["attribution"]))"""


def _with_layout(code: str) -> str:
    """The cell's code with the output layout's file names in place of their placeholders."""
    for placeholder, name in (
        ("__ANALYSIS_FILE__", layout.ANALYSIS_FILE),
        ("__LOCAL_SHAP_CSV__", layout.LOCAL_SHAP_CSV),
        ("__LOCAL_SHAP_JSONL__", layout.LOCAL_SHAP_JSONL),
    ):
        code = code.replace(placeholder, name)
    return code


def _module_source(module: object) -> str:
    return inspect.getsource(module)  # type: ignore[arg-type]


def build_notebook(data: ReportData, title: str) -> nbformat.NotebookNode:
    """Cells for the sections present in ``data``: setup, bias tables and charts, SHAP, local SHAP, PDP, text."""
    helpers = v4.new_code_cell(
        "# Metric catalogue and chart helpers used by the report.\n"
        + _module_source(_catalogue)
        + "\n\n"
        + _module_source(_charts),
        metadata={"jupyter": {"source_hidden": True}, "tags": ["helpers"]},
    )
    cells = [
        v4.new_markdown_cell(
            f"# {markdown_text(title)}\n\nThis notebook reads `analysis.json` from its own folder and draws the "
            "report's tables and charts. Facet *d* is the named facet value, *a* is the rest. Orange bars lie "
            "outside the conventional band (green strip): the four-fifths rule [0.8, 1.25] for DI, |value| ≤ 0.1 "
            "for most differences (|CI| ≤ 0.5, |TE| ≤ 0.5), ≤ 0.1 for divergences (JS ≤ 0.05)."
        ),
        helpers,
        v4.new_code_cell(_with_layout(SETUP)),
    ]
    titles = {"pre_training": "Pre-training bias", "post_training": "Post-training bias"}
    for section in data.bias:
        notes = "".join(f"\n\n{markdown_text(note)}" for note in section.notes)
        cells.append(v4.new_markdown_cell(f"## {titles[section.stage]}{notes}"))
        cells.append(v4.new_code_cell(BIAS.format(stage=section.stage)))
    if data.shap:
        cells += [v4.new_markdown_cell("## Feature importance (Kernel SHAP)"), v4.new_code_cell(SHAP)]
    if data.local:
        cells += [v4.new_markdown_cell("## Local explanations"), v4.new_code_cell(_with_layout(LOCAL))]
    if data.pdp:
        cells += [v4.new_markdown_cell("## Partial dependence"), v4.new_code_cell(PDP)]
    if data.text:
        cells += [v4.new_markdown_cell("## Text attributions"), v4.new_code_cell(_with_layout(TEXT))]
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i:02d}"  # stable ids: the same analysis gives the same file
    nb = v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def notebook_bytes(data: ReportData, title: str) -> bytes:
    """The notebook as UTF-8 JSON (validated against the nbformat v4 schema)."""
    nb = build_notebook(data, title)
    nbformat.validate(nb)
    return nbformat.writes(nb).encode("utf-8")
