"""A ``Chart`` as a Plotly figure: a plain dict of ``data``, ``layout`` and ``config``.

The dict is what ``Plotly.newPlot`` takes; the page passes it through
``json_script`` and ``static/stromal/charts.js`` draws it. Nothing here
imports Plotly: the figure is built from the chart's data alone, so it is
tested as a value.

Each panel gets its own pair of axes (``x``/``y``, ``x2``/``y2``, ...),
stacked top to bottom, every x axis matched to the first so zooming one
zooms all. Hover texts are the table's texts (``stromal.display.number``
plus the unit), so the chart and its table read the same numbers.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from django.utils import timezone

from stromal import display
from stromal.charts.spec import Band, Chart, LineKind, Panel, Series, X, XKind

#: Okabe & Ito's colour-blind-safe palette (Okabe M, Ito K. Color Universal Design, 2008).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
LIMIT_COLOUR = "#B2182B"
REFERENCE_COLOUR = "#5F5F5F"
MARKER_COLOUR = "#7A7A7A"
BAND_FILL = "rgba(0, 158, 115, 0.13)"
BAND_LINE = "#009E73"
# Sizes in pixels: a panel is shorter when there are many, so a session's vitals stay on one screen.
PANEL_PX = ((2, 160), (4, 125), (99, 105))  # (up to this many panels, height of each)
TITLE_PX = 30  # each panel's title line, above it
MARKER_ROW_PX = 20  # the vertical lines' labels, above the first panel's title
X_AXIS_PX = 52  # tick labels and the x axis's title
LEGEND_PX = 30
Y_PAD = 0.12  # of the value range, above and below: a line at the top or bottom keeps its label inside
# The mode bar keeps zoom and pan. Left out: "Share chart..." (on by default in plotly.js 4: it
# would post the patient's values to a Plotly server) and "Download plot as a PNG" (a data: image,
# which the Content-Security-Policy refuses; the table has the values).
MODE_BAR_BUTTONS = ["zoom2d", "pan2d", "zoomIn2d", "zoomOut2d", "resetScale2d"]
CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "responsive": True,
    "showSendToCloud": False,
    "showLink": False,
    "modeBarButtons": [MODE_BAR_BUTTONS],
}


def plot_x(x: X) -> str | float:
    """An x value as Plotly reads it: a date-time in the active zone without its offset, a date as ISO."""
    if isinstance(x, dt.datetime):
        local = timezone.localtime(x) if timezone.is_aware(x) else x
        return local.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(x, dt.date):
        return x.isoformat()
    if isinstance(x, str):
        return x
    return float(x)


@lru_cache(maxsize=4096)  # vitals repeat (a heart rate of 88, an FiO2 of 0.4): format each once
def value_text(value: float | None, unit: str) -> str:
    """A value as the chart's hover and the table show it (``98 /min``, ``—``)."""
    return display.quantity(value, unit)


def _axis_suffix(i: int) -> str:
    return "" if i == 0 else str(i + 1)


def _panel_px(n: int) -> int:
    return next(px for most, px in PANEL_PX if n <= most)


def _domains(n: int) -> tuple[list[tuple[float, float]], int]:
    """Vertical domains (paper fractions) of ``n`` stacked panels, top first, and the plot's height in pixels.

    Each panel but the first has its title line in the gap above it; the first one's is in the top margin.
    """
    panel = _panel_px(n)
    height = n * panel + (n - 1) * TITLE_PX
    out = []
    for i in range(n):
        top = height - i * (panel + TITLE_PX)
        out.append((round((top - panel) / height, 6), round(top / height, 6)))
    return out, height


def _series_trace(series: Series, unit: str, i: int, colour: str, legend: bool) -> dict[str, Any]:
    points = [p for p in series.points if p.y is not None]
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "name": series.name,
        "x": [plot_x(p.x) for p in points],
        "y": [p.y for p in points],
        "text": [value_text(p.y, unit) for p in points],
        "hovertemplate": f"{series.name}: %{{text}}<extra></extra>",
        "xaxis": f"x{_axis_suffix(i)}",
        "yaxis": f"y{_axis_suffix(i)}",
        "line": {"color": colour, "width": 2},
        "marker": {"color": colour, "size": 7},
        "showlegend": legend,
        "legendgroup": series.name,
    }


def _value_range(panel: Panel) -> tuple[float, float]:
    """The lowest and highest value a panel draws (values, thresholds, band limits)."""
    ys = [p.y for s in panel.series for p in s.points if p.y is not None]
    ys += [t.value for t in panel.thresholds]
    if panel.band:
        ys += [v for v in (panel.band.low, panel.band.high) if v is not None]
        ys += [v for e in panel.band.edges for v in (e.low, e.high) if v is not None]
    return min(ys), max(ys)


def _y_range(panel: Panel) -> list[float]:
    """The panel's y range: every value, line and band limit, with room for the lines' labels."""
    lo, hi = _value_range(panel)
    pad = (hi - lo) * Y_PAD if hi > lo else max(abs(hi) * Y_PAD, 1.0)
    return [lo - pad, hi + pad]


def _band_traces(band: Band, i: int) -> list[dict[str, Any]]:
    """A band given at each x: a filled area, or a dotted line where only the low edge is given."""
    axes = {"xaxis": f"x{_axis_suffix(i)}", "yaxis": f"y{_axis_suffix(i)}", "hoverinfo": "skip"}
    xs = [plot_x(e.x) for e in band.edges]
    lows, highs = [e.low for e in band.edges], [e.high for e in band.edges]
    if all(h is None for h in highs):
        line = {"color": BAND_LINE, "width": 1.5, "dash": "dot"}
        return [
            {"type": "scatter", "mode": "lines", "name": band.label, "x": xs, "y": lows, "line": line, **axes}
        ]
    lower = {
        "type": "scatter",
        "mode": "lines",
        "x": xs,
        "y": lows,
        "line": {"width": 0},
        "showlegend": False,
    }
    upper = {
        "type": "scatter",
        "mode": "lines",
        "name": band.label,
        "x": xs,
        "y": highs,
        "fill": "tonexty",
        "fillcolor": BAND_FILL,
        "line": {"width": 0},
    }
    return [{**lower, **axes}, {**upper, **axes}]


def _band_shape(band: Band, panel: Panel, i: int) -> dict[str, Any]:
    """A constant band as a shaded rectangle across the panel; an open side reaches the drawn values."""
    lo, hi = _value_range(panel)
    return {
        "type": "rect",
        "xref": f"x{_axis_suffix(i)} domain",
        "x0": 0,
        "x1": 1,
        "yref": f"y{_axis_suffix(i)}",
        "y0": band.low if band.low is not None else lo,
        "y1": band.high if band.high is not None else hi,
        "fillcolor": BAND_FILL,
        "line": {"width": 0},
        "layer": "below",
        "label": {"text": band.label, "textposition": "top left", "font": {"size": 11, "color": BAND_LINE}},
    }


def _threshold_shapes(panel: Panel, i: int) -> list[dict[str, Any]]:
    """Horizontal lines; a label goes below a line in the upper half of the range, above one in the lower."""
    shapes = []
    lo, hi = _y_range(panel)
    for t in panel.thresholds:
        below = t.value > (lo + hi) / 2
        colour = LIMIT_COLOUR if t.kind is LineKind.LIMIT else REFERENCE_COLOUR
        shapes.append(
            {
                "type": "line",
                "xref": f"x{_axis_suffix(i)} domain",
                "x0": 0,
                "x1": 1,
                "yref": f"y{_axis_suffix(i)}",
                "y0": t.value,
                "y1": t.value,
                "line": {
                    "color": colour,
                    "width": 1.5,
                    "dash": "dash" if t.kind is LineKind.LIMIT else "dot",
                },
                "label": {
                    "text": t.label,
                    "textposition": "end",
                    "yanchor": "top" if below else "bottom",
                    "font": {"size": 11, "color": colour},
                },
            }
        )
    return shapes


def _marker_shapes(chart: Chart) -> list[dict[str, Any]]:
    return [
        {
            "type": "line",
            "xref": "x",
            "x0": plot_x(m.x),
            "x1": plot_x(m.x),
            "yref": "paper",
            "y0": 0,
            "y1": 1,
            "line": {"color": MARKER_COLOUR, "width": 1, "dash": "dot"},
        }
        for m in chart.markers
    ]


def _marker_labels(chart: Chart) -> list[dict[str, Any]]:
    """The vertical lines' labels, in a row above the first panel's title."""
    return [
        {
            "text": m.label,
            "xref": "x",
            "x": plot_x(m.x),
            "yref": "paper",
            "y": 1,
            "yanchor": "bottom",
            "yshift": TITLE_PX,
            "showarrow": False,
            "font": {"size": 11, "color": MARKER_COLOUR},
        }
        for m in chart.markers
    ]


def _panel_title(panel: Panel, i: int, top: float) -> dict[str, Any]:
    """A panel's quantity and unit, written above it (a rotated axis title does not fit a short panel)."""
    return {
        # No <b>: Plotly.js writes it as a style attribute, which a strict CSP refuses.
        "text": panel.axis_title,
        "xref": f"x{_axis_suffix(i)} domain",
        "x": 0,
        "xanchor": "left",
        "yref": "paper",
        "y": top,
        "yanchor": "bottom",
        "yshift": 4,
        "showarrow": False,
        "font": {"size": 13, "weight": 600},
    }


def _x_axis(chart: Chart, i: int, n: int) -> dict[str, Any]:
    kind = chart.x_kind
    axis: dict[str, Any] = {
        "type": kind.value,
        "anchor": f"y{_axis_suffix(i)}",
        "domain": [0, 1],
        "showticklabels": i == n - 1,
        "automargin": True,
    }
    if i > 0:
        axis["matches"] = "x"
    if i == n - 1:
        axis["title"] = {"text": chart.x_title}
    if kind is XKind.DATE:
        axis["hoverformat"] = "%Y-%m-%d %H:%M"
    return axis


def figure(chart: Chart) -> dict[str, Any] | None:
    """The Plotly figure of ``chart``, or ``None`` when it has no value to draw (the page says so instead).

    Panels without a value are left out; the others keep their order, top to bottom. A
    legend is shown for the panels that draw more than one series (or a band at each x).
    """
    panels = chart.drawn_panels
    if not panels:
        return None
    n = len(panels)
    domains, plot_px = _domains(n)
    data: list[dict[str, Any]] = []
    shapes: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    layout: dict[str, Any] = {}
    colour = 0
    legend = False
    for i, (panel, (bottom, top)) in enumerate(zip(panels, domains, strict=True)):
        drawn = [s for s in panel.series if s.has_values]
        in_legend = len(drawn) > 1 or bool(panel.band and panel.band.edges)
        legend = legend or in_legend
        if panel.band is not None:
            if panel.band.edges:
                data += _band_traces(panel.band, i)
            else:
                shapes.append(_band_shape(panel.band, panel, i))
        for series in drawn:
            data.append(_series_trace(series, panel.unit, i, PALETTE[colour % len(PALETTE)], in_legend))
            colour += 1
        shapes += _threshold_shapes(panel, i)
        annotations.append(_panel_title(panel, i, top))
        layout[f"xaxis{_axis_suffix(i)}"] = _x_axis(chart, i, n)
        layout[f"yaxis{_axis_suffix(i)}"] = {
            "domain": [bottom, top],
            "anchor": f"x{_axis_suffix(i)}",
            "automargin": True,
            "zeroline": False,
            "nticks": 5,
            "range": _y_range(panel),
        }
    shapes += _marker_shapes(chart)
    annotations += _marker_labels(chart)
    top_px = TITLE_PX + (MARKER_ROW_PX if chart.markers else 0)
    bottom_px = X_AXIS_PX + (LEGEND_PX if legend else 0)
    layout.update(
        {
            "height": plot_px + top_px + bottom_px,
            "margin": {"l": 60, "r": 24, "t": top_px, "b": bottom_px},
            "showlegend": legend,
            "legend": {
                "orientation": "h",
                "x": 0,
                "xanchor": "left",
                "y": -X_AXIS_PX / plot_px,
                "yanchor": "top",
            },
            "hovermode": "closest" if chart.x_kind is XKind.LABEL else "x unified",
            "font": {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 13},
            "shapes": shapes,
            "annotations": annotations,
            "paper_bgcolor": "white",
            "plot_bgcolor": "white",
        }
    )
    for key, axis in layout.items():
        if key.startswith(("xaxis", "yaxis")):
            axis.update({"showgrid": True, "gridcolor": "#E5E5E5", "linecolor": "#888", "showline": True})
    return {"data": data, "layout": layout, "config": CONFIG}
