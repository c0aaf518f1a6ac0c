"""Which dataset column plays which part: label, facets, group, predicted label, join source, features.

Features are every column except the label, the predicted label, the join source and the excluded
columns (facets and the group variable stay model inputs unless excluded, as in Clarify). For JSON
data the features are exactly the columns the ``features`` expression produced.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from clarion.config import AnalysisConfig
from clarion.config.columns import resolve
from clarion.errors import DataError

JSON_TYPES = ("application/jsonlines", "application/json")


@dataclass(frozen=True)
class ColumnRoles:
    columns: tuple[str, ...]
    features: tuple[str, ...]
    label: str | None
    predicted_label: str | None
    facets: tuple[str, ...]
    group: str | None
    joinsource: str | None


def column_roles(
    config: AnalysisConfig,
    columns: list[str],
    label_column: str | None = None,
    predicted_label_column: str | None = None,
    not_features: Collection[str] = (),
) -> ColumnRoles:
    """Resolve every role of ``config`` against the dataset's ``columns``.

    ``label_column`` overrides the label's name (JSON data, where the label expression names a column);
    ``predicted_label_column`` names the predicted-label column joined from a separate dataset.
    """
    json_data = config.dataset_type in JSON_TYPES
    label = label_column or (
        _json_name(config.label, columns, "label") if json_data else resolve(config.label, columns, "label")
    )
    predicted = predicted_label_column
    if predicted is None and config.predicted_label is not None and config.predicted_label_dataset_uri is None:
        predicted = (
            _json_name(config.predicted_label, columns, "predicted_label")
            if json_data
            else resolve(config.predicted_label, columns, "predicted_label")
        )
    joinsource = (
        _json_name(config.joinsource_name_or_index, columns, "joinsource_name_or_index")
        if json_data
        else resolve(config.joinsource_name_or_index, columns, "joinsource_name_or_index")
    )
    facets = tuple(
        resolve(f.name_or_index, columns, f"facet[{i}].name_or_index") for i, f in enumerate(config.facet or [])
    )
    group = resolve(config.group_variable, columns, "group_variable")
    excluded = {resolve(c, columns, f"excluded_columns[{i}]") for i, c in enumerate(config.excluded_columns or [])}
    dropped = {label, predicted, joinsource, *not_features} | excluded
    features = tuple(c for c in columns if c not in dropped)
    if not features:
        raise DataError("features: the dataset has no feature columns left to send to the model")
    return ColumnRoles(
        columns=tuple(columns),
        features=features,
        label=label,
        predicted_label=predicted,
        facets=facets,  # type: ignore[arg-type]
        group=group,
        joinsource=joinsource,
    )


def _json_name(ref: str | int | None, columns: list[str], key: str) -> str | None:
    if ref is None:
        return None
    return ref if isinstance(ref, str) and ref in columns else resolve(ref, columns, key)


def facet_dataset_columns(config: AnalysisConfig) -> tuple[str, ...]:
    """The columns the facet dataset adds, known before reading (``facet_headers`` minus the id); () otherwise."""
    if config.facet_dataset_uri is None or not config.facet_headers:
        return ()
    join = config.joinsource_name_or_index
    id_name = join if isinstance(join, str) else None
    if isinstance(join, int) and config.headers and 0 <= join < len(config.headers):
        id_name = config.headers[join]
    return tuple(str(name) for name in config.facet_headers if name != id_name)
