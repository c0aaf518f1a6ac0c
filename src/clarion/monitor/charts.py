"""Over-time charts of a monitoring folder, as matplotlib Figures built from plain values (no pyplot state).

NDCG chart: one line per label, the threshold as a dashed red line, violated runs as red points.
Bias charts: one panel per metric of a facet value; the line is the metric per run, the dashed grey line the
baseline value, the green strip the values no farther from fair than the baseline (crossing it is a
violation), violated runs as red points.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from matplotlib.figure import Figure

from clarion.report._charts import BAND, BLUE, FONT, GREY, RED, SERIES, _style, chart_text, panel_grid


def _x_axis(ax, names: Sequence[str], small: bool = False) -> None:
    ax.set_xticks(range(len(names)))
    tilt = small or len(names) > 4
    ax.set_xticklabels([chart_text(n, 14 if small else 24) for n in names], rotation=30 if tilt else 0,
                       ha="right" if tilt else "center")  # fmt: skip
    ax.set_xlim(-0.4, len(names) - 0.6 if len(names) > 1 else 0.4)


def ndcg_chart(runs: Sequence[str], series: dict[str, list[float | None]], threshold: float) -> Figure:
    """NDCG per label over ``runs`` (x labels), with the threshold line."""
    import matplotlib

    with matplotlib.rc_context(FONT):
        fig = Figure(figsize=(10, 3.0), layout="constrained")
        ax = fig.subplots()
        _style(ax, "y")
        ax.axhline(threshold, color=RED, linestyle="--", linewidth=1.2, label=f"threshold {threshold:g}")
        for k, (label, values) in enumerate(series.items()):
            xs = [i for i, v in enumerate(values) if v is not None]
            ys = [v for v in values if v is not None]
            ax.plot(xs, ys, marker="o", color=SERIES[k % len(SERIES)], linewidth=1.8, label=chart_text(label))
            bad = [(x, y) for x, y in zip(xs, ys, strict=True) if y < threshold]
            if bad:
                bad_x, bad_y = zip(*bad, strict=True)
                ax.scatter(bad_x, bad_y, s=70, color=RED, zorder=5, edgecolor="white", linewidth=1)
        low = min([threshold - 0.05] + [v for vs in series.values() for v in vs if v is not None])
        ax.set_ylim(max(0.0, low - 0.03), 1.02)
        ax.set_ylabel("NDCG")
        ax.set_title("Feature attribution drift (NDCG against the baseline ranking)", loc="left")
        _x_axis(ax, runs)
        ax.legend(loc="lower left", frameon=False, fontsize=8)
    return fig


def _allowed(fair: float, baseline: float, tolerance: float) -> tuple[float, float]:
    """Values no farther from fair than ``baseline`` (plus ``tolerance``): [fair - d, fair + d]."""
    d = abs(baseline - fair) + tolerance
    return fair - d, fair + d


def bias_chart(
    title: str,
    runs: Sequence[str],
    panels: Sequence[tuple[str, float, float | None, list[float | None], list[bool]]],
    tolerance: float = 0.0,
    columns: int = 4,
) -> Figure:
    """Small multiples for one facet value: (code, fair value, baseline value, values per run, violated per run)."""
    import matplotlib

    with matplotlib.rc_context(FONT):
        fig, axes = panel_grid(len(panels), columns, 2.4, 0.4)
        for ax, (code, fair, base, values, violated) in zip(axes, panels, strict=True):
            _style(ax, "y")
            finite = [v for v in values if v is not None and math.isfinite(v)]
            if base is not None and math.isfinite(base):
                low, high = _allowed(fair, base, tolerance)
                ax.axhspan(low, high, color=BAND, zorder=0)
                ax.axhline(base, color=GREY, linestyle="--", linewidth=1)
                finite += [low, high]
            ax.axhline(fair, color=GREY, linestyle=":", linewidth=0.8)
            xs = [i for i, v in enumerate(values) if v is not None and math.isfinite(v)]
            ys = [values[i] for i in xs]
            ax.plot(xs, ys, marker="o", markersize=4, color=BLUE, linewidth=1.6)
            bad = [(i, values[i]) for i in xs if violated[i]]
            if bad:
                ax.scatter(*zip(*bad, strict=True), s=46, color=RED, zorder=5, edgecolor="white", linewidth=1)
            if finite:
                span = (max(finite) - min(finite)) or 0.1
                ax.set_ylim(min(finite) - 0.12 * span, max(finite) + 0.12 * span)
            ax.set_title(code, loc="left", fontweight="bold")
            _x_axis(ax, runs, small=True)
        fig.suptitle(chart_text(title, 80), x=0.01, ha="left", fontsize=10)
    return fig
