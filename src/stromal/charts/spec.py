"""What a chart shows, as plain immutable data (no Plotly, no database).

A ``Chart`` is one figure: panels stacked on one shared x axis, each with its
own y axis and unit. A ``Panel`` holds one or more ``Series`` of ``Point``
values, optional ``Threshold`` lines and an optional ``Band`` (a normal
range or a lower limit of normal). ``Marker`` draws a vertical line at one x
(an administration, the end of a rule's window). Every object checks itself
on creation, so a chart that cannot be drawn fails where it is built.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

#: An x value: a date-time (shown in the active time zone), a date, a number
#: (minutes, days) or a label (a visit's name, drawn in the given order).
X = dt.datetime | dt.date | float | int | str


class XKind(StrEnum):
    """The kind of a chart's x axis, from its x values."""

    DATE = "date"
    NUMBER = "linear"
    LABEL = "category"


class LineKind(StrEnum):
    """A threshold that is a rule's limit (drawn red) or a reference cut-off (drawn grey)."""

    LIMIT = "limit"
    REFERENCE = "reference"


def x_kind(x: X) -> XKind:
    if isinstance(x, dt.date):  # dt.datetime is a dt.date
        return XKind.DATE
    if isinstance(x, bool):
        raise TypeError(f"an x value must be a date, a number or a label, got {x!r}")
    if isinstance(x, int | float):
        if not math.isfinite(x):
            raise ValueError(f"an x value must be finite, got {x!r}")
        return XKind.NUMBER
    if isinstance(x, str):
        return XKind.LABEL
    raise TypeError(f"an x value must be a date, a number or a label, got {x!r}")


def _finite(value: float | None, what: str) -> None:
    if value is not None and (isinstance(value, bool) or not math.isfinite(value)):
        raise ValueError(f"{what} must be a finite number or None, got {value!r}")


@dataclass(frozen=True)
class Point:
    """One value at one x. ``y`` ``None``: not recorded (a gap, shown ``—`` in the table).

    ``label`` heads the point's row in the table (``"Day 1 examination"``,
    ``"Baseline"``); points of different series with the same x and label
    share a row. Without a label the row is headed by the x value.
    """

    x: X
    y: float | None
    label: str = ""

    def __post_init__(self) -> None:
        x_kind(self.x)
        _finite(self.y, "a point's y")


@dataclass(frozen=True)
class Series:
    """Values of one quantity; ``name`` is its legend entry and table column."""

    name: str
    points: tuple[Point, ...]

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a series needs a name")

    @cached_property
    def has_values(self) -> bool:
        return any(p.y is not None for p in self.points)


@dataclass(frozen=True)
class Threshold:
    """A horizontal line at ``value`` (in the panel's unit).

    ``label`` is drawn on the line (short: ``"stop ≥ 0.6"``); ``detail`` is
    listed under the table (the rule in words and its source).
    """

    value: float
    label: str
    detail: str = ""
    kind: LineKind = LineKind.LIMIT

    def __post_init__(self) -> None:
        _finite(self.value, "a threshold")
        if self.value is None:
            raise ValueError("a threshold needs a value")


@dataclass(frozen=True)
class BandEdge:
    """A band's limits at one x (``None``: open on that side)."""

    x: X
    low: float | None = None
    high: float | None = None

    def __post_init__(self) -> None:
        x_kind(self.x)
        _finite(self.low, "a band's low edge")
        _finite(self.high, "a band's high edge")


@dataclass(frozen=True)
class Band:
    """A shaded range: a normal range, or the region at or above a lower limit of normal.

    Either constant (``low`` and/or ``high``) or given at each x (``edges``,
    for a limit that changes, like an LLN in % predicted that depends on
    age). An edge given only as ``low`` at each x is drawn as a dotted line.
    """

    label: str
    low: float | None = None
    high: float | None = None
    edges: tuple[BandEdge, ...] = ()

    def __post_init__(self) -> None:
        _finite(self.low, "a band's low")
        _finite(self.high, "a band's high")
        if self.edges and (self.low is not None or self.high is not None):
            raise ValueError("a band is either constant (low/high) or given at each x (edges), not both")
        if not self.edges and self.low is None and self.high is None:
            raise ValueError("a band needs a low, a high or edges")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"a band's low ({self.low:g}) is above its high ({self.high:g})")


@dataclass(frozen=True)
class Marker:
    """A vertical line at ``x`` across every panel (an administration, a window's end).

    ``label`` is drawn above it (short: ``"Administration 1"``); ``detail`` is
    listed under the table.
    """

    x: X
    label: str
    detail: str = ""

    def __post_init__(self) -> None:
        x_kind(self.x)


@dataclass(frozen=True)
class Panel:
    """One y axis: its quantity's ``title`` and ``unit``, its series, lines and band.

    A panel with no value is left out of the figure; when ``empty`` is set it
    is said under the chart instead (``"No P/F ratio yet: it needs an
    arterial blood gas"``).
    """

    title: str
    unit: str
    series: tuple[Series, ...]
    thresholds: tuple[Threshold, ...] = ()
    band: Band | None = None
    empty: str = ""

    def __post_init__(self) -> None:
        if not self.series:
            raise ValueError(f"panel {self.title!r} needs at least one series")

    @cached_property
    def has_values(self) -> bool:
        return any(s.has_values for s in self.series)

    @property
    def axis_title(self) -> str:
        return f"{self.title} ({self.unit})" if self.unit else self.title


@dataclass(frozen=True)
class Chart:
    """One figure on a page.

    ``id`` is its HTML id (unique on the page; the figure's data block is
    ``<id>-figure``); ``title`` heads it and captions its table;
    ``description`` says where the values come from; ``empty`` is what the
    page says instead of a chart when nothing is recorded yet (also when
    there is no panel at all).
    """

    id: str
    title: str
    x_title: str
    panels: tuple[Panel, ...]
    markers: tuple[Marker, ...] = ()
    description: str = ""
    empty: str = "No data yet."

    def __post_init__(self) -> None:
        if not self.id or not self.id.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"a chart id must be letters, digits, - and _, got {self.id!r}")
        # One x of each Python type is enough (each point checked its own x when it was made).
        kinds = {x_kind(x) for x in {type(x): x for x in self._x_values()}.values()}
        if len(kinds) > 1:
            raise ValueError(f"chart {self.id!r} mixes x kinds: {', '.join(sorted(kinds))}")

    def _x_values(self) -> list[X]:
        xs: list[X] = [p.x for panel in self.panels for s in panel.series for p in s.points]
        xs += [e.x for panel in self.panels if panel.band for e in panel.band.edges]
        xs += [m.x for m in self.markers]
        return xs

    @cached_property
    def x_kind(self) -> XKind:
        xs = self._x_values()
        return x_kind(xs[0]) if xs else XKind.NUMBER

    @cached_property
    def has_values(self) -> bool:
        return any(panel.has_values for panel in self.panels)

    @cached_property
    def drawn_panels(self) -> tuple[Panel, ...]:
        return tuple(panel for panel in self.panels if panel.has_values)


def series_chart(
    id: str,
    title: str,
    name: str,
    unit: str,
    values: tuple[tuple[X, float | None], ...] | list[tuple[X, float | None]],
    *,
    x_title: str = "Date",
    band: Band | None = None,
    thresholds: tuple[Threshold, ...] = (),
    description: str = "",
    empty: str = "No data yet.",
) -> Chart:
    """A one-panel chart of one series of ``(x, value)`` pairs: the short way to the common case.

    ``x`` is a date, a date-time or a visit's label (all the same kind);
    ``value`` is in ``unit`` (``None``: not recorded).
    """
    points = tuple(Point(x, y) for x, y in values)
    panel = Panel(name, unit, (Series(name, points),), thresholds, band)
    return Chart(id, title, x_title, (panel,), description=description, empty=empty)
