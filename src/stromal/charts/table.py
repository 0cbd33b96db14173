"""A ``Chart`` as a table: the same numbers, for people who cannot or would rather not read a chart.

One row per x (and row label), one column per series that has a value (and
one per edge of a band given at each x); a value not recorded reads ``—``.
Rows follow the x axis: by time or number, or in the given order for labels.
The lines a chart draws (thresholds, constant bands, markers) are listed in
words beside the table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from stromal import display
from stromal.accounts.zones import format_when
from stromal.charts.figure import value_text
from stromal.charts.spec import Chart, LineKind, X, XKind


@dataclass(frozen=True)
class Row:
    heading: str
    cells: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    caption: str
    x_heading: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]


def x_text(x: X) -> str:
    """An x value as a row heading: a date-time with its zone, a date as ISO, a number as the display rules."""
    if isinstance(x, dt.date):
        return format_when(x)
    if isinstance(x, str):
        return x
    return display.number(x)


def _sort_key(kind: XKind, x: X) -> tuple[float, str]:
    if kind is XKind.DATE:
        assert isinstance(x, dt.date)
        moment = x if isinstance(x, dt.datetime) else dt.datetime.combine(x, dt.time(), tzinfo=dt.UTC)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return (moment.timestamp(), "")
    if kind is XKind.NUMBER:
        assert isinstance(x, int | float)
        return (float(x), "")
    return (0.0, "")  # labels keep their given order (sorting is stable)


def chart_table(chart: Chart) -> Table:
    """The values of ``chart`` as a table (empty rows when nothing is recorded)."""
    columns: list[str] = []
    cells: dict[tuple[X, str], dict[int, str]] = {}
    order: list[tuple[X, str]] = []

    def put(x: X, label: str, column: int, text: str) -> None:
        key = (x, label)
        if key not in cells:
            cells[key] = {}
            order.append(key)
        cells[key][column] = text

    for panel in chart.drawn_panels:
        for series in panel.series:
            if not series.has_values:
                continue
            columns.append(f"{series.name} ({panel.unit})" if panel.unit else series.name)
            for p in series.points:
                put(p.x, p.label, len(columns) - 1, value_text(p.y, ""))
        if panel.band and panel.band.edges:
            for side in ("low", "high"):
                if any(getattr(e, side) is not None for e in panel.band.edges):
                    columns.append(f"{panel.band.label}, {side} ({panel.unit})")
                    for e in panel.band.edges:
                        put(e.x, "", len(columns) - 1, value_text(getattr(e, side), ""))
    kind = chart.x_kind
    ordered = sorted(order, key=lambda key: _sort_key(kind, key[0]))
    rows = tuple(
        Row(
            label or x_text(x),
            tuple(cells[(x, label)].get(i, display.NOT_RECORDED) for i in range(len(columns))),
        )
        for x, label in ordered
    )
    return Table(chart.title, chart.x_title, tuple(columns), rows)


def chart_lines(chart: Chart) -> tuple[str, ...]:
    """The lines and bands ``chart`` draws, in words (with the rule or source where given)."""
    lines: list[str] = []
    for panel in chart.drawn_panels:
        for t in panel.thresholds:
            what = "limit" if t.kind is LineKind.LIMIT else "reference"
            text = f"{panel.title}, {what} line at {value_text(t.value, panel.unit)}: {t.label}"
            lines.append(f"{text} ({t.detail})" if t.detail else text)
        band = panel.band
        if band is not None and not band.edges:
            span = " to ".join(
                value_text(v, panel.unit)
                if v is not None
                else ("no lower limit" if i == 0 else "no upper limit")
                for i, v in enumerate((band.low, band.high))
            )
            lines.append(f"{panel.title}, shaded band {band.label}: {span}")
    unit = f" ({chart.x_title.lower()})" if chart.x_kind is XKind.NUMBER else ""
    for m in chart.markers:
        text = f"Vertical line at {x_text(m.x)}{unit}: {m.label}"
        lines.append(f"{text} ({m.detail})" if m.detail else text)
    return tuple(lines)
