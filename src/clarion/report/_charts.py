"""Report charts as matplotlib Figures built from plain values (no pyplot state).

Colours: blue bars are within the conventional band (or plain magnitudes), orange bars are flagged, the
green strip is the band; for signed attributions blue pushes the prediction up and red pushes it down.
This module needs only numpy and matplotlib so the report notebook can embed its source.
"""

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

BLUE = "#3a6ea5"
ORANGE = "#d9822b"
RED = "#c8553d"
GREY = "#8a8f98"
BAND = "#e3f1e6"
SERIES = ("#3a6ea5", "#d9822b", "#4f9a6b", "#8a63b0", "#c8553d", "#5a8fa8", "#a58a3a", "#6b6b6b")
FONT: dict[Any, Any] = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
}


def chart_text(text: object, limit: int = 32) -> str:
    """Label text safe for matplotlib: ``$`` escaped (no mathtext), long strings shortened with an ellipsis."""
    s = str(text)
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return s.replace("$", r"\$")


def _style(ax, grid_axis: str = "x") -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.spines["left"].set_color("#b8bcc4")
    ax.spines["bottom"].set_color("#b8bcc4")
    ax.tick_params(colors="#3c4048", length=2)
    ax.grid(axis=grid_axis, color="#e6e8ec", linewidth=0.7)
    ax.set_axisbelow(True)


def panel_grid(n: int, columns: int, panel_height: float, pad: float) -> tuple[Figure, list[Any]]:
    """A 10-inch-wide figure of ``n`` panels in rows of at most ``columns`` (cells past ``n`` hidden); the
    figure and the ``n`` panels' axes, row by row."""
    columns = max(1, min(columns, n))
    rows = math.ceil(n / columns) if n else 1
    fig = Figure(figsize=(10, panel_height * rows + pad), layout="constrained")
    axes = list(fig.subplots(rows, columns, squeeze=False).flat)
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def bias_chart(
    panels: Sequence[tuple[str, tuple[float, float], float, Sequence[tuple[str, float | None]]]],
    columns: int = 3,
) -> Figure:
    """Small multiples, one panel per metric: (code, band, fair value, [(facet entry, value)]).

    Bars start at the fair value; the green strip is the band; flagged bars are orange; infinite
    values run to the panel edge and are marked ∞; missing values are marked n/a."""
    import matplotlib

    n_entries = max((len(p[3]) for p in panels), default=1)
    with matplotlib.rc_context(FONT):
        fig, axes = panel_grid(len(panels), columns, 0.26 * n_entries + 0.85, 0.2)
        for ax, (code, (low, high), fair, entries) in zip(axes, panels, strict=True):
            _style(ax)
            finite = [abs(v - fair) for _, v in entries if v is not None and math.isfinite(v)]
            reach = max(finite + [abs(low - fair), abs(high - fair)]) * 1.2 or 1.0
            ax.axvspan(low if math.isfinite(low) else fair - reach, high if math.isfinite(high) else fair + reach,
                       color=BAND, zorder=0)  # fmt: skip
            ax.axvline(fair, color="#9aa0a8", linewidth=0.8)
            ys = np.arange(len(entries))[::-1]
            for y, (_, v) in zip(ys, entries, strict=True):
                if v is None or math.isnan(v):
                    ax.text(fair, y, "  n/a", va="center", ha="left", color=GREY, fontsize=7)
                    continue
                shown = max(min(v, fair + reach), fair - reach)
                flagged = not (low <= v <= high)
                ax.barh(y, shown - fair, left=fair, height=0.62, color=ORANGE if flagged else BLUE)
                if math.isinf(v):
                    ax.text(shown, y, " ∞ " if v > 0 else " -∞ ", va="center", ha="right" if v > 0 else "left",
                            color="white", fontsize=8, fontweight="bold")  # fmt: skip
            ax.set_xlim(fair - reach, fair + reach)
            ax.set_ylim(-0.6, len(entries) - 0.4)
            ax.set_yticks(ys)
            if ax.get_subplotspec().is_first_col():
                ax.set_yticklabels([chart_text(name, 28) for name, _ in entries])
            else:
                ax.set_yticklabels([])
            ax.set_title(chart_text(code), loc="left", fontweight="bold")
    return fig


def _hbars(features: Sequence[str], vals: np.ndarray, size: tuple[float, float], label_chars: int, **bar: Any) -> Any:
    """A figure of horizontal bars ``vals`` (first at the top) labelled by ``features``, with a zero line; its axes."""
    n = len(vals)
    fig = Figure(figsize=size, layout="constrained")
    ax = fig.subplots()
    _style(ax)
    ys = np.arange(n)[::-1]
    ax.barh(ys, vals, height=0.65, **bar)
    ax.set_yticks(ys)
    ax.set_yticklabels([chart_text(f, label_chars) for f in features[:n]])
    ax.set_ylim(-0.6, n - 0.4)
    ax.axvline(0, color="#9aa0a8", linewidth=0.8)
    return ax


def shap_chart(
    features: Sequence[str],
    values: Sequence[float],
    stderr: Sequence[float | None] | None = None,
    title: str = "",
    max_features: int = 20,
) -> Figure:
    """Horizontal bars of global SHAP values (largest first), with ±stderr error bars when given."""
    import matplotlib

    n = min(len(features), max_features)
    with matplotlib.rc_context(FONT):
        err = None
        if stderr is not None:
            err = np.asarray([0.0 if e is None else e for e in stderr[:n]], dtype=float)
        ax = _hbars(features, np.asarray(values[:n], dtype=float), (7.5, 0.24 * n + 0.9), 32, color=BLUE, xerr=err,
                    error_kw={"ecolor": "#2b2f36", "elinewidth": 0.9, "capsize": 2.5})  # fmt: skip
        ax.set_xlabel("global SHAP value" + (" (bars: ± standard error)" if err is not None else ""))
        if title:
            ax.set_title(chart_text(title, 80), loc="left", fontweight="bold")
    return ax.figure


def local_chart(features: Sequence[str], values: Sequence[float], title: str = "", max_features: int = 10) -> Figure:
    """Signed local SHAP values of one row: blue raises the prediction, red lowers it."""
    import matplotlib

    n = min(len(features), max_features)
    with matplotlib.rc_context(FONT):
        vals = np.asarray(values[:n], dtype=float)
        ax = _hbars(features, vals, (4.8, 0.24 * n + 0.8), 24, color=[BLUE if v >= 0 else RED for v in vals])
        if title:
            ax.set_title(chart_text(title, 60), loc="left", fontweight="bold")
    return ax.figure


def pdp_chart(
    feature: str,
    data_type: str,
    feature_values: Sequence[object],
    predictions: Sequence[Sequence[float]],
    label_headers: Sequence[str],
    distribution: Sequence[float] = (),
) -> Figure:
    """Partial dependence of the model output(s) on one feature: lines for numerical features, grouped bars
    for categorical ones; the grey bars underneath show the share of rows in each bucket."""
    import matplotlib

    with matplotlib.rc_context(FONT):
        fig = Figure(figsize=(4.8, 2.9), layout="constrained")
        ax = fig.subplots()
        _style(ax, "y")
        curves = list(predictions)
        names = [chart_text(h, 20) for h in label_headers] or [f"output {k}" for k in range(len(curves))]
        categorical = data_type != "numerical"
        if categorical:
            xs = np.arange(len(feature_values))
            width = 0.8 / max(len(curves), 1)
            for k, curve in enumerate(curves):
                ax.bar(xs + (k - (len(curves) - 1) / 2) * width, curve, width=width * 0.92,
                       color=SERIES[k % len(SERIES)], label=names[k] if k < len(names) else f"output {k}")  # fmt: skip
            ax.set_xticks(xs)
            ax.set_xticklabels([chart_text(v, 14) for v in feature_values], rotation=30 if len(xs) > 4 else 0,
                               ha="right" if len(xs) > 4 else "center")  # fmt: skip
        else:
            xs = np.asarray(feature_values, dtype=float)
            for k, curve in enumerate(curves):
                ax.plot(xs, curve, marker="o", markersize=3, linewidth=1.6, color=SERIES[k % len(SERIES)],
                        label=names[k] if k < len(names) else f"output {k}")  # fmt: skip
        if len(distribution) == len(feature_values) and len(distribution):
            twin = ax.twinx()
            step = (xs[1] - xs[0]) if len(xs) > 1 else 1.0
            twin.bar(xs, distribution, width=step * (0.8 if categorical else 0.9), color="#d5d8de", zorder=0)
            twin.set_ylim(0, max(max(distribution), 1e-9) * 4)
            twin.set_yticks([])
            for side in ("top", "right", "left", "bottom"):
                twin.spines[side].set_visible(False)
            ax.set_zorder(twin.get_zorder() + 1)
            ax.patch.set_visible(False)
        ax.set_ylabel("model output")
        ax.set_title(chart_text(feature, 40), loc="left", fontweight="bold")
        if len(curves) > 1:
            ax.legend(frameon=False, fontsize=7)
    return fig
