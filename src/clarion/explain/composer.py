"""Composers turn coalition masks into model inputs; the Kernel SHAP engine is agnostic of the data kind.

A composer knows the explained rows and the background (baseline) items. A synthetic input is
identified by (row r, background b, player mask z): player j takes the row's value where z_j, the
background's otherwise. The engine calls:

- ``value_codes(row_ids) -> (bg_codes (B, P), row_codes (R, P))``: integer codes >= 0 per player,
  over the background and these rows together, such that equal codes mean equal values. The engine
  derives from them which synthetic inputs coincide and predicts each distinct input once. A row
  code of -1 means "matches no background value" and is treated as unique to its row.
- ``compose(row_ids, background_ids, masks) -> inputs``: one model input per triple, in order.
- ``background_is_row_free``: True when the input with no player from the row does not depend on the
  row (then it is predicted once, not once per row).
- ``background_inputs()``: the background items as model inputs (predicted once, for the expected value).

Text and image composers plug in with the same three members.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype, is_object_dtype


class Composer(Protocol):
    """Masks -> model inputs. See the module docstring for the contract."""

    @property
    def num_players(self) -> int: ...

    @property
    def num_rows(self) -> int: ...

    @property
    def num_background(self) -> int: ...

    @property
    def background_is_row_free(self) -> bool: ...

    def value_codes(self, row_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...

    def compose(self, row_ids: np.ndarray, background_ids: np.ndarray, masks: np.ndarray) -> Any: ...

    def background_inputs(self) -> Any: ...


def _column_values(series: pd.Series) -> np.ndarray:
    if is_numeric_dtype(series.dtype) and not isinstance(series.dtype, pd.CategoricalDtype):
        return series.to_numpy()
    return series.to_numpy(dtype=object)


def _numeric_blocks(rows: pd.DataFrame, baseline: pd.DataFrame) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(N, C) and (B, C) C-ordered arrays when every column of both frames has one and the same numeric
    dtype (synthetic rows are then composed as one block), else (None, None)."""
    dtypes = set(rows.dtypes) | set(baseline.dtypes)
    if len(dtypes) != 1 or rows.shape[1] == 0:
        return None, None
    dtype = next(iter(dtypes))
    if not isinstance(dtype, np.dtype) or dtype.kind not in "fiub":
        return None, None
    return np.ascontiguousarray(rows.to_numpy(dtype=dtype)), np.ascontiguousarray(baseline.to_numpy(dtype=dtype))


def _sorted_codes(values: np.ndarray) -> np.ndarray:
    """(n, P) int64 codes per column: the rank of each value among the column's distinct values (NaN == NaN,
    ranked last), as np.unique(column, return_inverse=True, equal_nan=True) gives them, in one sort."""
    order = np.argsort(values, axis=0, kind="stable")
    ranked = np.take_along_axis(values, order, axis=0)
    new = np.ones(values.shape, dtype=bool)
    new[1:] = ranked[1:] != ranked[:-1]
    if values.dtype.kind == "f":
        new[1:] &= ~(np.isnan(ranked[1:]) & np.isnan(ranked[:-1]))
    codes = np.empty(values.shape, dtype=np.int64)
    np.put_along_axis(codes, order, np.cumsum(new, axis=0) - 1, axis=0)
    return codes


def _select_bits(out: np.ndarray, other: np.ndarray, keep: np.ndarray) -> None:
    """out[i, j] = out[i, j] where keep[i, j], else other (broadcast), copied bit for bit (NaN payloads and -0.0
    included): out ^= (out ^ other) & (keep - 1) over unsigned views (keep - 1 is all ones where keep is False)."""
    unsigned = np.dtype(f"u{out.dtype.itemsize}")
    bits = out.view(unsigned)
    flip = np.bitwise_xor(bits, np.ascontiguousarray(other).view(unsigned))
    drop = np.ascontiguousarray(keep).view(np.uint8).astype(unsigned)
    drop -= unsigned.type(1)  # 1 -> 0, 0 -> all ones (wrapping)
    flip &= drop
    bits ^= flip


class TabularComposer:
    """Synthetic rows of a table: player j is column ``player_columns[j]``; other columns keep the row's value.

    rows and baseline must have the same columns; synthetic rows keep the rows' column names and
    (where the values allow it) their dtypes.
    """

    def __init__(self, rows: pd.DataFrame, baseline: pd.DataFrame, player_columns: Sequence[int]) -> None:
        self._rows = rows
        self._baseline = baseline
        self._players = np.asarray(player_columns, dtype=np.intp)
        self._columns = list(rows.columns)
        self._dtypes = list(rows.dtypes)
        self._player_of_column = np.full(rows.shape[1], -1, dtype=np.intp)
        self._player_of_column[self._players] = np.arange(self._players.shape[0])
        self._row_block, self._bg_block = _numeric_blocks(rows, baseline)
        if self._row_block is not None and self._bg_block is not None:
            self._row_values = list(self._row_block.T)
            self._bg_values = list(self._bg_block.T)
        else:
            self._row_values = [_column_values(series) for _, series in rows.items()]
            self._bg_values = [_column_values(series) for _, series in baseline.items()]

    @property
    def num_players(self) -> int:
        return int(self._players.shape[0])

    @property
    def num_rows(self) -> int:
        return int(self._rows.shape[0])

    @property
    def num_background(self) -> int:
        return int(self._baseline.shape[0])

    @property
    def background_is_row_free(self) -> bool:
        return self.num_players == len(self._columns)

    def value_codes(self, row_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        b, r = self.num_background, row_ids.shape[0]
        if self._row_block is not None and self._bg_block is not None:
            both = np.concatenate([self._bg_block[:, self._players], self._row_block[row_ids][:, self._players]])
            codes = _sorted_codes(both)
            return codes[:b], codes[b:]
        bg_codes = np.empty((b, self.num_players), dtype=np.int64)
        row_codes = np.empty((r, self.num_players), dtype=np.int64)
        for p, j in enumerate(self._players):
            both = np.concatenate([self._bg_values[j], self._row_values[j][row_ids]])
            if self._row_block is not None:  # one numeric dtype: codes in sorted order; NaN == NaN
                codes = np.unique(both, return_inverse=True, equal_nan=True)[1].reshape(-1)
            else:  # codes follow first appearance; NaN == NaN
                codes = pd.factorize(
                    pd.Series(both, dtype=object if both.dtype == object else None), use_na_sentinel=False
                )[0]
            bg_codes[:, p] = codes[:b]
            row_codes[:, p] = codes[b:]
        return bg_codes, row_codes

    def compose(self, row_ids: np.ndarray, background_ids: np.ndarray, masks: np.ndarray) -> pd.DataFrame:
        if self._row_block is not None and self._bg_block is not None:
            # one dtype for every column: one (n, C) block built by one bitwise select, one DataFrame over it
            if self._players.shape[0] == len(self._columns):
                take = (
                    masks
                    if (self._players == np.arange(len(self._columns))).all()
                    else masks[:, self._player_of_column]
                )
            else:
                take = np.ones((masks.shape[0], len(self._columns)), dtype=bool)
                take[:, self._players] = masks
            out = np.take(self._row_block, row_ids, axis=0)
            background = (
                self._bg_block[0] if self.num_background == 1 else np.take(self._bg_block, background_ids, axis=0)
            )
            _select_bits(out, background, take)
            return pd.DataFrame(out, columns=self._columns, copy=False)
        data = {}
        for j, name in enumerate(self._columns):
            x = self._row_values[j]
            p = self._player_of_column[j]
            if p < 0:
                values = x[row_ids]
            else:
                values = np.where(masks[:, p], x[row_ids], self._bg_values[j][background_ids])
            data[name] = self._restore(values, j)
        return pd.DataFrame(data, columns=self._columns, copy=False)

    def background_inputs(self) -> pd.DataFrame:
        return self._baseline

    def _restore(self, values: np.ndarray, j: int) -> Any:
        dtype = self._dtypes[j]
        if values.dtype != object or is_object_dtype(dtype):
            return values
        try:
            return pd.array(values, dtype=dtype)
        except (TypeError, ValueError):
            return values
