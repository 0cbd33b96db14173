"""A chart ready for a template: its figure, its table, its lines in words and its notes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stromal.charts.figure import figure
from stromal.charts.spec import Chart
from stromal.charts.table import Table, chart_lines, chart_table


@dataclass(frozen=True)
class ChartView:
    """What ``charts/_chart.html`` renders.

    ``figure`` is ``None`` when nothing is recorded yet: the page then shows
    ``chart.empty`` instead of an empty chart (and no table).
    """

    chart: Chart
    figure: dict[str, Any] | None
    table: Table
    lines: tuple[str, ...]
    notes: tuple[str, ...]

    @property
    def figure_id(self) -> str:
        """The id of the figure's ``json_script`` data block."""
        return f"{self.chart.id}-figure"


def chart_view(chart: Chart) -> ChartView:
    """Everything a page needs to show ``chart``: figure (or its absence), table, lines, notes."""
    notes = tuple(p.empty for p in chart.panels if p.empty and not p.has_values and chart.has_values)
    return ChartView(chart, figure(chart), chart_table(chart), chart_lines(chart), notes)
