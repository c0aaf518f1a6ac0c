"""Clarify's column references: a column name, or a zero-based index into a list of names.

``resolve`` is the one resolver: the run spec uses it against the reader's column names (and the feature
columns, for ``methods.shap.features_to_explain`` and ``methods.pdp.features``), config validation against
``headers``. Errors name the config key path.
"""

from __future__ import annotations

from collections.abc import Sequence

from clarion.errors import ConfigError


def resolve(ref: str | int | None, names: Sequence[str], key: str, kind: str = "dataset columns") -> str | None:
    """The name ``ref`` refers to among ``names`` (None for None); a ConfigError naming ``key`` otherwise.

    ``kind`` says what ``names`` are in the message ("dataset columns", "headers", "features")."""
    if ref is None:
        return None
    if isinstance(ref, bool) or not isinstance(ref, (int, str)):
        raise ConfigError(f"{key}: expected a column name or index, got {ref!r}")
    if isinstance(ref, int):
        if not 0 <= ref < len(names):
            raise ConfigError(f"{key}: column index {ref} is out of range for {len(names)} {kind}")
        return names[ref]
    if ref not in names:
        raise ConfigError(f"{key}: column {ref!r} is not in {kind} {list(names)}")
    return ref


def resolve_all(refs: Sequence[str | int], names: Sequence[str], key: str, kind: str) -> tuple[str, ...]:
    """Every reference of the list at ``key`` resolved (``key[i]`` in errors), repeats dropped, first kept."""
    found = []
    for i, ref in enumerate(refs):
        name = resolve(ref, names, f"{key}[{i}]", kind)
        assert name is not None
        found.append(name)
    return tuple(dict.fromkeys(found))
