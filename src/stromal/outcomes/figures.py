"""Plotly figures as plain data (pure functions: numbers in, ``{"data", "layout"}`` out).

The pages hand them to the browser through ``json_script``; ``static/stromal/charts.js``
draws them, as it draws every chart of ``stromal.charts``, with the Plotly.js of the
installed ``plotly`` package (no CDN; one copy served by ``stromal.charts.finders``) and
the same mode bar ``config``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from stromal.charts.figure import CONFIG
from stromal.outcomes.tables import numbers

#: A colour-blind-safe qualitative palette (Okabe M, Ito K. Color Universal Design, 2008).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
FONT = {"family": "system-ui, sans-serif", "size": 13}


def _layout(title: str, x_title: str, y_title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title},
        "xaxis": {"title": {"text": x_title}, "zeroline": False},
        "yaxis": {"title": {"text": y_title}, "zeroline": False},
        "font": FONT,
        "legend": {"orientation": "h", "y": -0.2},
        "margin": {"l": 60, "r": 20, "t": 50, "b": 60},
        **extra,
    }


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


@dataclass(frozen=True)
class Curve:
    """One Kaplan-Meier curve: event times (days), estimate and 95 % limits."""

    name: str
    days: Sequence[float]
    survival: Sequence[float]
    low: Sequence[float]
    high: Sequence[float]


def survival_figure(curves: Sequence[Curve], title: str) -> dict[str, Any]:
    """Step curves with their 95 % bands, survival 0–1 against days since enrolment."""
    data: list[dict[str, Any]] = []
    for i, curve in enumerate(curves):
        colour = PALETTE[i % len(PALETTE)]
        x = numbers(curve.days)
        data.append(
            {
                "type": "scatter",
                "x": x,
                "y": numbers(curve.high),
                "mode": "lines",
                "line": {"width": 0, "shape": "hv"},
                "hoverinfo": "skip",
                "showlegend": False,
                "legendgroup": curve.name,
            }
        )
        data.append(
            {
                "type": "scatter",
                "x": x,
                "y": numbers(curve.low),
                "mode": "lines",
                "line": {"width": 0, "shape": "hv"},
                "fill": "tonexty",
                "fillcolor": _rgba(colour, 0.18),
                "name": f"{curve.name}: 95 % CI",
                "legendgroup": curve.name,
                "hoverinfo": "skip",
                "showlegend": False,
            }
        )
        data.append(
            {
                "type": "scatter",
                "x": x,
                "y": numbers(curve.survival),
                "mode": "lines",
                "line": {"shape": "hv", "color": colour, "width": 2},
                "name": curve.name,
                "legendgroup": curve.name,
                "hovertemplate": "day %{x}: %{y:.3f}<extra>" + curve.name + "</extra>",
            }
        )
    layout = _layout(title, "Days since enrolment", "Survival probability")
    layout["yaxis"]["range"] = [0, 1.02]
    return {"data": data, "layout": layout, "config": CONFIG}


def bar_figure(
    categories: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    x_title: str,
    y_title: str,
    stacked: bool = False,
    horizontal: bool = False,
) -> dict[str, Any]:
    """Grouped (or stacked) bars: one trace per series over ``categories``."""
    data = []
    for i, (name, values) in enumerate(series.items()):
        values_ = numbers(values)
        trace: dict[str, Any] = {
            "type": "bar",
            "name": name,
            "marker": {"color": PALETTE[i % len(PALETTE)]},
        }
        if horizontal:
            trace.update({"y": list(categories), "x": values_, "orientation": "h"})
        else:
            trace.update({"x": list(categories), "y": values_})
        data.append(trace)
    layout = _layout(title, y_title if horizontal else x_title, x_title if horizontal else y_title)
    layout["barmode"] = "stack" if stacked else "group"
    if horizontal:
        layout["yaxis"]["autorange"] = "reversed"
        layout["margin"]["l"] = 220
    return {"data": data, "layout": layout, "config": CONFIG}


@dataclass(frozen=True)
class Reference:
    """A horizontal reference line (a cut-off or a normal limit) with its label."""

    y: float
    label: str


@dataclass(frozen=True)
class Summary:
    """Median and quartiles at one visit."""

    visit: str
    n: int
    median: float | None
    q1: float | None
    q3: float | None


def trajectory_figure(
    groups: Mapping[str, Sequence[Summary]],
    *,
    title: str,
    y_title: str,
    references: Sequence[Reference] = (),
) -> dict[str, Any]:
    """Median by visit with the interquartile range as error bars, one line per group."""
    data = []
    for i, (name, points) in enumerate(groups.items()):
        med = [p.median for p in points]
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": [p.visit for p in points],
                "y": numbers(med),
                "line": {"color": PALETTE[i % len(PALETTE)]},
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": numbers(
                        [
                            (p.q3 - p.median) if p.q3 is not None and p.median is not None else None
                            for p in points
                        ]
                    ),
                    "arrayminus": numbers(
                        [
                            (p.median - p.q1) if p.q1 is not None and p.median is not None else None
                            for p in points
                        ]
                    ),
                },
                "customdata": [p.n for p in points],
                "hovertemplate": "%{x}: median %{y} (n=%{customdata})<extra>" + name + "</extra>",
            }
        )
    layout = _layout(title, "Visit", y_title)
    layout["shapes"] = [
        {
            "type": "line",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "y0": ref.y,
            "y1": ref.y,
            "line": {"dash": "dash", "color": "#555", "width": 1},
        }
        for ref in references
    ]
    layout["annotations"] = [
        {
            "xref": "paper",
            "x": 1,
            "xanchor": "right",
            "y": ref.y,
            "yanchor": "bottom",
            "text": ref.label,
            "showarrow": False,
            "font": {"size": 11, "color": "#555"},
        }
        for ref in references
    ]
    return {"data": data, "layout": layout, "config": CONFIG}
