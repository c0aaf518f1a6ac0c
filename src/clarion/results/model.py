"""``Analysis``: a typed model of analysis.json (Clarify's format plus clarion's extra keys).

Reading then writing gives the same bytes: each object remembers the order of its keys, keys the model
does not name are kept as they were, ints stay ints, and numbers use Clarify's encoding ("Infinity",
"-Infinity"; NaN is written as null). Values that Clarify writes as numbers are ``float | int | None``
after parsing (``float("inf")`` for "Infinity").

    analysis = Analysis.from_json(text)         # or read_analysis(folder)
    analysis.post_training_bias_metrics.facets["sex"][0].metrics[0].value
    analysis.to_json() == text                  # for any text clarion or Clarify wrote
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PrivateAttr, ValidationError, model_validator

from clarion.errors import OutputError
from clarion.results import layout
from clarion.results.encoding import decode_number, dumps

Number = Annotated[float | int | None, BeforeValidator(decode_number)]
"""A number as Clarify writes it: a JSON number, "Infinity"/"-Infinity", or null."""
Scalar = str | int | float


class Node(BaseModel):
    """An analysis.json object: typed fields, unknown keys kept, key order remembered for writing."""

    model_config = ConfigDict(extra="allow")
    _keys: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="wrap")
    @classmethod
    def _remember_key_order(cls, data: Any, handler: Any) -> Any:
        node = handler(data)
        if isinstance(data, dict):
            node._keys = tuple(data)
        return node

    def to_data(self) -> dict[str, Any]:
        """The object as plain JSON-ready data (before number encoding), keys in their original order."""
        fields = type(self).model_fields
        extra = self.__pydantic_extra__ or {}
        present = [k for k in fields if k in self.model_fields_set] + list(extra)
        order = [k for k in self._keys if k in present] + [k for k in present if k not in self._keys]
        return {k: _plain(getattr(self, k) if k in fields else extra[k]) for k in order}


def _plain(value: Any) -> Any:
    if isinstance(value, Node):
        return value.to_data()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class Metric(Node):
    """One bias metric: ``value`` is None when it failed, and then ``error`` says why."""

    name: str
    description: str = ""
    value: Number = None
    error: str | None = None


class FacetEntry(Node):
    """The metrics of one facet value (or threshold interval)."""

    value_or_threshold: Scalar = ""
    metrics: list[Metric] = []


class BasicStat(Node):
    """One of smclarify's basic statistics of a facet entry (``proportion`` is a number; the label
    distribution and the confusion matrix are lists)."""

    name: str
    description: str = ""
    value: Number | list[Number] = None
    error: str | None = None


class BasicStatsEntry(Node):
    value_or_threshold: Scalar = ""
    metrics: list[BasicStat] = []


class PerformanceReport(Node):
    """``model_performance_report`` of the post-training section; ``error`` when it could not be computed."""

    label: Scalar | None = None
    model_performance_metrics: list[Metric] = []
    binary_confusion_matrix: list[Number] = []
    confusion_matrix: dict[str, dict[str, Number]] | None = None
    error: str | None = None


class BiasSection(Node):
    """``pre_training_bias_metrics`` or ``post_training_bias_metrics``; ``bias_basic_stats`` is keyed like
    ``facets``, and the post-training section also holds the ``model_performance_report``.

    clarion's notes on empty cells (present only when there are some): ``clarion_empty_cells`` counts the rows
    with an empty cell per column (an empty label or predicted label counts as negative and an empty facet cell
    as outside the facet value, as in Clarify); ``clarion_rows_excluded`` counts, per metric, the rows left out
    because their group_variable cell was empty (CDDL, CDDPL)."""

    label: Scalar | None = None
    label_value_or_threshold: Scalar | list[Scalar] | None = None
    facets: dict[str, list[FacetEntry]] = {}
    bias_basic_stats: dict[str, list[BasicStatsEntry]] | None = None
    model_performance_report: PerformanceReport | None = None
    clarion_empty_cells: dict[str, int] | None = None
    clarion_rows_excluded: dict[str, int] | None = None

    def empty_cell_notes(self) -> tuple[str, ...]:
        """The empty-cell notes in plain words, e.g. "12 rows were left out of CDDL because their group
        variable cell was empty."; empty when no cell was empty."""
        notes = []
        for column, count in (self.clarion_empty_cells or {}).items():
            if not count:
                continue
            if self.label is not None and column == str(self.label):
                role, counted = "label column", "; such rows count as not positive, as in Clarify"
            elif column in self.facets:
                role, counted = "facet column", "; such rows count as outside the facet value, as in Clarify"
            else:
                role, counted = "column", ""
            notes.append(f"{_rows(count)} an empty cell in {role} {column}{counted}.")
        for metric, count in (self.clarion_rows_excluded or {}).items():
            if count:
                were = "row was" if count == 1 else "rows were"
                notes.append(
                    f"{count} {were} left out of {metric} because their group variable cell was empty "
                    "(no group to condition on)."
                )
        return tuple(notes)


def _rows(count: int) -> str:
    return "1 row has" if count == 1 else f"{count} rows have"


class LabelShap(Node):
    """``explanations.kernel_shap.<label>``; ``global_shap_values_stderr`` is clarion's (standard errors of the
    global values), ``global_top_shap_text`` is present for text explanations."""

    global_shap_values: dict[str, Number] = {}
    expected_value: Number | list[Number] = None
    global_shap_values_stderr: dict[str, Number] | None = None
    global_top_shap_text: dict[str, dict[str, Number]] | None = None


class PdpEntry(Node):
    """One ``explanations.pdp`` entry; a failed feature has ``error`` instead of values."""

    feature_name: str
    data_type: str | None = None
    feature_values: list[Any] | None = None
    data_distribution: list[Number] | None = None
    model_predictions: list[list[Number]] | None = None
    label_headers: list[str] | None = None
    error: str | None = None


class Explanations(Node):
    kernel_shap: dict[str, LabelShap] | None = None
    pdp: list[PdpEntry] | None = None


STAGES = ("pre_training", "post_training")


class Analysis(Node):
    """The whole analysis.json."""

    version: str = "1.0"
    pre_training_bias_metrics: BiasSection | None = None
    post_training_bias_metrics: BiasSection | None = None
    explanations: Explanations | None = None

    @classmethod
    def from_data(cls, data: Any, source: str = layout.ANALYSIS_FILE) -> Analysis:
        """Validate a parsed document; errors name ``source`` and the key path."""
        if not isinstance(data, dict):
            raise OutputError(f"{source}: expected a JSON object at the top level")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"] if not str(p).startswith(("function-", "nullable")))
            raise OutputError(f"{source}: {where}: {first['msg']}") from None

    @classmethod
    def from_json(cls, text: str, source: str = layout.ANALYSIS_FILE) -> Analysis:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise OutputError(f"{source}:{exc.lineno}: invalid JSON: {exc.msg}") from None
        return cls.from_data(data, source)

    def to_json(self) -> str:
        """analysis.json text, as Clarify writes it (2-space indent, "Infinity", a final newline)."""
        return dumps(self.to_data())

    def bias_sections(self) -> Iterator[tuple[str, BiasSection]]:
        """``(stage, section)`` for the bias sections present, pre-training first."""
        for stage in STAGES:
            section = getattr(self, f"{stage}_bias_metrics")
            if section is not None:
                yield stage, section

    @property
    def kernel_shap(self) -> dict[str, LabelShap]:
        return (self.explanations.kernel_shap if self.explanations else None) or {}

    @property
    def pdp(self) -> list[PdpEntry]:
        return (self.explanations.pdp if self.explanations else None) or []
