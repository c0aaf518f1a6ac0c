"""The binarised count table every bias metric reads.

``counts[g, d, y, p]`` is the number of rows in group g (of ``group_variable``; one group when absent) with
facet-d indicator d, positive-label indicator y and positive-prediction indicator p (all 0/1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clarion.errors import ClarionError


class MetricError(ClarionError):
    """A metric cannot be computed on this data; reported as ``value: null`` with this message."""


@dataclass(frozen=True)
class FacetTable:
    """Binarised counts for one facet entry; see the module docstring."""

    counts: np.ndarray
    has_group: bool = False
    group_valid: np.ndarray | None = None

    @classmethod
    def from_confusion(
        cls, *, tp_a: int = 0, fp_a: int = 0, fn_a: int = 0, tn_a: int = 0,
        tp_d: int = 0, fp_d: int = 0, fn_d: int = 0, tn_d: int = 0,
    ) -> FacetTable:  # fmt: skip
        """A one-group table from the eight confusion counts (y = label, p = prediction)."""
        c = np.zeros((1, 2, 2, 2), dtype=np.int64)
        c[0, 0, 1, 1], c[0, 0, 0, 1], c[0, 0, 1, 0], c[0, 0, 0, 0] = tp_a, fp_a, fn_a, tn_a
        c[0, 1, 1, 1], c[0, 1, 0, 1], c[0, 1, 1, 0], c[0, 1, 0, 0] = tp_d, fp_d, fn_d, tn_d
        return cls(c)

    def n(self, d: int | None = None, y: int | None = None, p: int | None = None) -> int:
        """Rows with the given indicators (None = any)."""
        c = self.counts
        c = c if d is None else c[:, d : d + 1]
        c = c if y is None else c[:, :, y : y + 1]
        c = c if p is None else c[:, :, :, p : p + 1]
        return int(c.sum())

    def confusion(self, d: int) -> tuple[int, int, int, int]:
        """TP, FP, FN, TN inside facet d (d=1) or facet a (d=0)."""
        return self.n(d, 1, 1), self.n(d, 0, 1), self.n(d, 1, 0), self.n(d, 0, 0)

    def require_facets(self, prefix: str = "", d_first: bool = True) -> None:
        """smclarify's empty-facet errors: "<prefix>Facet set is empty" / "<prefix>Negated Facet set is empty"."""
        checks = [(1, f"{prefix}Facet set is empty"), (0, f"{prefix}Negated Facet set is empty")]
        for d, message in checks if d_first else checks[::-1]:
            if self.n(d) == 0:
                raise MetricError(message)
