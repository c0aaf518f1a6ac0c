"""The resolved run spec: a plan's column references resolved once against the reader's column names.

Clarify names columns by name or zero-based index (``label``, ``facet[i].name_or_index``,
``group_variable``, ``predicted_label``, ``joinsource_name_or_index``, ``excluded_columns``,
``segment_config[i].name_or_index``; and among the feature columns ``methods.shap.features_to_explain``
and ``methods.pdp.features``); for JSON data the label, predicted label and join source are JMESPath
expressions whose results the reader names. Everything downstream (bias counts, segments, flip test,
SHAP, PDP, readers' column pruning) reads names from a ``RunSpec``, never the config's references.

Two moments resolve them, with the same resolver (``clarion.config.columns.resolve``):

- ``header_roles(plan)``: before reading, when CSV ``headers`` are given (the columns to parse for a
  bias-only run, the feature names an HTTP predictor's record template checks);
- ``resolve_run(plan, columns)``: with the first chunk's column names, the run's spec.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from clarion.bias import BiasSpec, FacetSpec
from clarion.bias.segment_spec import DEFAULT_SEGMENT, SegmentSpec
from clarion.config import AnalysisConfig
from clarion.config.columns import resolve, resolve_all
from clarion.data import ColumnRoles, ReadOptions, column_roles
from clarion.data.roles import JSON_TYPES, facet_dataset_columns
from clarion.engine.plan import AnalysisPlan
from clarion.errors import ConfigError

PREDICTED_LABEL_COLUMN = "__clarion_predicted_label__"  # the model's predicted labels, added by pass one
JOINED_PREDICTED_LABEL = "predicted_label"  # a separate predicted-label dataset's column, unless named


@dataclass(frozen=True)
class RunSpec:
    """A plan with its columns resolved: roles of every column, the bias spec (None without bias), the
    segments, and the features SHAP explains and PDP varies (None: every feature / the top global SHAP ones)."""

    plan: AnalysisPlan
    roles: ColumnRoles
    bias: BiasSpec | None
    segments: tuple[SegmentSpec, ...] = ()
    shap_features: tuple[str, ...] | None = None
    pdp_features: tuple[str, ...] | None = None

    @property
    def features(self) -> list[str]:
        return list(self.roles.features)


def joined_predicted_label(plan: AnalysisPlan) -> str | None:
    """The column a separate predicted-label dataset is joined as (None without one)."""
    c = plan.config
    if c.predicted_label_dataset_uri is None:
        return None
    return c.predicted_label if isinstance(c.predicted_label, str) else JOINED_PREDICTED_LABEL


def joined_facet_columns(plan: AnalysisPlan, columns: list[str]) -> tuple[str, ...]:
    """The columns a facet dataset added to the chunks (columns beyond the dataset's own headers)."""
    c = plan.config
    if c.facet_dataset_uri is None:
        return ()
    known = facet_dataset_columns(c)
    if known:
        return tuple(name for name in known if name in columns)
    own = set(c.headers or ())
    return tuple(name for name in columns if name not in own and name != joined_predicted_label(plan))


def header_roles(plan: AnalysisPlan) -> ColumnRoles | None:
    """Roles from the config's ``headers`` before any data is read (None for JSON data or without headers)."""
    c = plan.config
    if not c.headers or c.dataset_type in JSON_TYPES:
        return None
    facets = facet_dataset_columns(c)  # facet columns from facet_dataset_uri: bias only, never model inputs
    return column_roles(c, [*c.headers, *facets], not_features=facets)


def bias_only_columns(plan: AnalysisPlan) -> tuple[str, ...] | None:
    """For a CSV bias run without a model, the only columns worth parsing (None: all of them)."""
    c = plan.config
    if plan.needs_model or plan.shap or plan.pdp or c.dataset_type != "text/csv" or not c.headers:
        return None
    post = c.methods.post_training_bias
    if post is not None and "FT" in post.methods:  # the flip test reads every feature
        return None
    roles = header_roles(plan)
    assert roles is not None
    needed = [roles.label, roles.predicted_label, roles.group, *roles.facets]
    if c.predicted_label_dataset_uri is not None or c.facet_dataset_uri is not None:
        needed.append(roles.joinsource)  # predicted labels or facets are joined by id
    needed += [spec.column for spec in resolve_segments(c, c.headers)]  # segment_config columns
    return tuple(name for name in c.headers if name in needed)


def feature_names_hint(plan: AnalysisPlan) -> list[str] | None:
    """Feature names known before reading (CSV headers minus non-feature columns); None when unknown."""
    roles = header_roles(plan)
    return None if roles is None else list(roles.features)


def read_options(plan: AnalysisPlan, chunk_rows: int, text_columns: tuple[str, ...] = ()) -> ReadOptions:
    """What the dataset readers (local and on Spark executors) need from the plan.

    ``text_columns``: CSV columns to keep as text and type over the whole column (see ``mixed_type_columns``).
    """
    c = plan.config
    return ReadOptions(
        dataset_type=c.dataset_type,
        headers=tuple(c.headers) if c.headers else None,
        features=c.features,
        label=c.label,
        predicted_label=c.predicted_label if c.predicted_label_dataset_uri is None else None,
        joinsource=c.joinsource_name_or_index,
        chunk_rows=chunk_rows,
        usecols=bias_only_columns(plan),
        text_columns=text_columns or None,
    )


def resolve_run(plan: AnalysisPlan, columns: list[str]) -> RunSpec:
    """Resolve the plan against a chunk's column names (the reader's names; a pruned CSV read keeps header order)."""
    c = plan.config
    columns = list(columns)
    if bias_only_columns(plan):  # only some columns were parsed: references are to the full header list
        headers = list(c.headers or [])
        columns = headers + [name for name in columns if name not in headers]
    joined = joined_predicted_label(plan)
    facets = joined_facet_columns(plan, columns)
    roles = column_roles(
        c, columns, _json_label_column(plan, columns), joined if joined in columns else None, not_features=facets
    )
    bias = None
    if plan.pre_training_bias or plan.post_training_bias:
        bias = _bias_spec(plan, roles)
    m = c.methods
    features = roles.features
    return RunSpec(
        plan=plan,
        roles=roles,
        bias=bias,
        segments=resolve_segments(c, roles.columns) if bias is not None else (),
        shap_features=_feature_list(
            m.shap.features_to_explain if m.shap else None, features, "shap.features_to_explain"
        ),
        pdp_features=_feature_list(m.pdp.features if m.pdp else None, features, "pdp.features"),
    )


def _feature_list(refs: Sequence[str | int] | None, features: Sequence[str], key: str) -> tuple[str, ...] | None:
    """``methods.<key>`` (names or indices among the feature columns) resolved, in the order given."""
    return None if refs is None else resolve_all(refs, features, f"methods.{key}", "features")


def resolve_segments(config: AnalysisConfig, columns: Sequence[str]) -> tuple[SegmentSpec, ...]:
    """The config's segment configs against the dataset's column names."""
    specs = []
    for i, segment in enumerate(config.segment_config or ()):
        key = f"segment_config[{i}]"
        column = resolve(segment.name_or_index, columns, f"{key}.name_or_index")
        assert column is not None
        lists = tuple(tuple(values) for values in segment.segments)
        if not lists or any(not values for values in lists):
            raise ConfigError(f"{key}.segments: expected one or more non-empty lists of values or intervals")
        aliases = list(segment.display_aliases or ())
        if aliases and len(aliases) not in (len(lists), len(lists) + 1):
            raise ConfigError(
                f"{key}.display_aliases: expected {len(lists)} or {len(lists) + 1} names, got {len(aliases)}"
            )
        names = aliases[: len(lists)] or [",".join(map(str, values)) for values in lists]
        names.append(aliases[len(lists)] if len(aliases) == len(lists) + 1 else DEFAULT_SEGMENT)
        specs.append(SegmentSpec(column, lists, tuple(names), segment.config_name, segment.name_or_index))
    return tuple(specs)


def _json_label_column(plan: AnalysisPlan, columns: list[str]) -> str | None:
    """JSON data names the label column by the last header when headers hold one extra name."""
    c = plan.config
    if c.dataset_type in JSON_TYPES and c.label is not None:
        if isinstance(c.label, str) and c.label in columns:
            return c.label
        if c.headers and c.headers[-1] in columns:
            return c.headers[-1]
    return None


def _bias_spec(plan: AnalysisPlan, roles: ColumnRoles) -> BiasSpec:
    c = plan.config
    assert roles.label is not None and c.label_values_or_threshold and c.facet  # checked by make_plan
    predicted = PREDICTED_LABEL_COLUMN if plan.predictions_for_bias else roles.predicted_label
    m = c.methods
    return BiasSpec(
        label=roles.label,
        label_values=tuple(c.label_values_or_threshold),
        facets=tuple(
            FacetSpec(name=name, values=None if f.value_or_threshold is None else tuple(f.value_or_threshold))
            for name, f in zip(roles.facets, c.facet, strict=True)
        ),
        group=roles.group,
        predicted_label=predicted,
        pre_training_metrics=tuple(m.pre_training_bias.methods) if m.pre_training_bias else (),
        post_training_metrics=tuple(m.post_training_bias.methods) if m.post_training_bias else (),
    )
