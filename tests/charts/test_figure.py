"""A chart becomes a Plotly figure: its values, lines, bands and markers where the chart put them."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.utils import timezone

from stromal.charts import (
    Band,
    BandEdge,
    Chart,
    LineKind,
    Marker,
    Panel,
    Point,
    Series,
    Threshold,
    chart_view,
    series_chart,
)
from stromal.charts.figure import LIMIT_COLOUR, REFERENCE_COLOUR, figure

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def _spo2(*values: tuple[float, float | None]) -> Panel:
    return Panel("SpO2", "%", (Series("SpO2", tuple(Point(x, y) for x, y in values)),))


def _shapes(fig: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [s for s in fig["layout"]["shapes"] if s["type"] == kind]


def test_a_series_is_drawn_with_its_values_and_the_tables_texts_on_hover() -> None:
    chart = Chart("c", "Vitals", "Minutes", (_spo2((0, 93), (15, 95.5), (30, None)),))
    fig = figure(chart)
    assert fig is not None
    (trace,) = fig["data"]
    assert trace["x"] == [0.0, 15.0] and trace["y"] == [93, 95.5]  # the gap is not drawn
    assert trace["text"] == ["93 %", "95.5 %"]
    assert chart_view(chart).table.rows[1].cells == ("95.5",)


def test_nothing_recorded_gives_no_figure_and_the_charts_own_words() -> None:
    chart = Chart("c", "Vitals", "Minutes", (_spo2((0, None)),), empty="No vitals recorded yet.")
    view = chart_view(chart)
    assert figure(chart) is None and view.figure is None
    assert view.chart.empty == "No vitals recorded yet."
    assert view.table.rows == () and view.table.columns == ()


def test_a_chart_without_a_panel_is_empty_too() -> None:
    assert figure(Chart("c", "Nothing", "Date", ())) is None


def test_date_times_are_drawn_in_the_active_time_zone() -> None:
    at = dt.datetime(2026, 11, 30, 13, 5, tzinfo=dt.UTC)
    chart = Chart("c", "SpO2", "Time", (_spo2((at, 94)),))
    with timezone.override(PARIS):
        fig = figure(chart)
    assert fig is not None
    assert fig["data"][0]["x"] == ["2026-11-30 14:05:00"]
    assert fig["layout"]["xaxis"]["type"] == "date"


def test_visit_labels_keep_their_order_on_a_category_axis() -> None:
    chart = series_chart(
        "fvc", "FVC", "FVC", "% predicted", [("Month 6", 78.0), ("Month 3", 71.0)], x_title="Visit"
    )
    fig = figure(chart)
    assert fig is not None
    assert fig["data"][0]["x"] == ["Month 6", "Month 3"] and fig["layout"]["xaxis"]["type"] == "category"


def test_thresholds_are_horizontal_lines_on_their_panels_axis_red_for_limits_grey_for_references() -> None:
    limit = Threshold(0.6, "stop ≥ 0.6", "START hypoxaemia")
    reference = Threshold(300, "Berlin mild ≤ 300", kind=LineKind.REFERENCE)
    panels = (
        Panel("P/F", "mmHg", (Series("P/F", (Point(1, 175.0),)),), (reference,)),
        Panel("FiO2", "fraction", (Series("FiO2", (Point(1, 0.4),)),), (limit,)),
    )
    fig = figure(Chart("c", "Course", "Day", panels))
    assert fig is not None
    lines = {s["label"]["text"]: s for s in _shapes(fig, "line")}
    assert (
        lines["stop ≥ 0.6"]["yref"] == "y2" and lines["stop ≥ 0.6"]["y0"] == lines["stop ≥ 0.6"]["y1"] == 0.6
    )
    assert lines["stop ≥ 0.6"]["line"]["color"] == LIMIT_COLOUR
    assert (
        lines["Berlin mild ≤ 300"]["yref"] == "y"
        and lines["Berlin mild ≤ 300"]["line"]["color"] == REFERENCE_COLOUR
    )
    # The y range reaches every line, so none is off the chart.
    low, high = fig["layout"]["yaxis2"]["range"]
    assert low < 0.4 and high > 0.6


def test_a_constant_band_is_a_shaded_rectangle_and_an_open_side_reaches_the_values() -> None:
    panel = Panel(
        "DLCO",
        "% predicted",
        (Series("DLCO", (Point(1, 62.0), Point(2, 91.0))),),
        band=Band("normal", low=80.0),
    )
    fig = figure(Chart("c", "DLCO", "Visit", (panel,)))
    assert fig is not None
    (rect,) = _shapes(fig, "rect")
    assert rect["y0"] == 80.0 and rect["y1"] == 91.0 and rect["yref"] == "y"


def test_a_band_given_at_each_visit_is_a_filled_area_and_a_lower_limit_alone_a_dotted_line() -> None:
    edges = (BandEdge("Month 3", low=80.2, high=120.0), BandEdge("Month 6", low=79.8, high=119.5))
    filled = Panel(
        "FVC", "% predicted", (Series("FVC", (Point("Month 3", 71.0),)),), band=Band("normal", edges=edges)
    )
    fig = figure(Chart("c", "FVC", "Visit", (filled,)))
    assert fig is not None
    lower, upper, values = fig["data"]
    assert lower["y"] == [80.2, 79.8] and upper["y"] == [120.0, 119.5] and upper["fill"] == "tonexty"
    assert values["name"] == "FVC" and fig["layout"]["showlegend"]

    lln = (BandEdge("Month 3", low=80.2), BandEdge("Month 6", low=79.8))
    line_only = Panel(
        "FVC", "% predicted", (Series("FVC", (Point("Month 3", 71.0),)),), band=Band("LLN", edges=lln)
    )
    fig = figure(Chart("c", "FVC", "Visit", (line_only,)))
    assert fig is not None
    assert fig["data"][0]["line"]["dash"] == "dot" and fig["data"][0]["y"] == [80.2, 79.8]


def test_markers_are_vertical_lines_across_all_panels_with_their_labels() -> None:
    chart = Chart(
        "c", "Vitals", "Minutes", (_spo2((0, 93), (400, 94)),), markers=(Marker(360, "end of window"),)
    )
    fig = figure(chart)
    assert fig is not None
    (line,) = [s for s in _shapes(fig, "line") if s["yref"] == "paper"]
    assert line["x0"] == line["x1"] == 360.0 and (line["y0"], line["y1"]) == (0, 1)
    assert "end of window" in [a["text"] for a in fig["layout"]["annotations"]]


def test_panels_stack_top_down_on_one_zoom_without_overlapping() -> None:
    panels = tuple(Panel(n, "", (Series(n, (Point(0, 1.0), Point(1, 2.0))),)) for n in ("A", "B", "C"))
    fig = figure(Chart("c", "Three", "Minutes", panels))
    assert fig is not None
    layout = fig["layout"]
    domains = [layout[k]["domain"] for k in ("yaxis", "yaxis2", "yaxis3")]
    assert domains[0][1] == 1.0 and domains[2][0] == 0.0
    assert domains[0][0] > domains[1][1] and domains[1][0] > domains[2][1]
    assert layout["xaxis2"]["matches"] == layout["xaxis3"]["matches"] == "x"
    assert [t["yaxis"] for t in fig["data"]] == ["y", "y2", "y3"]
    assert not layout["xaxis"]["showticklabels"] and layout["xaxis3"]["showticklabels"]
    assert [a["text"] for a in layout["annotations"]] == ["A", "B", "C"]


def test_a_panel_without_a_value_is_left_out_and_its_note_is_given() -> None:
    empty = Panel("P/F ratio", "mmHg", (Series("P/F ratio", (Point(0, None),)),), empty="No P/F ratio yet.")
    view = chart_view(Chart("c", "Oxygenation", "Minutes", (empty, _spo2((0, 93)))))
    assert view.figure is not None
    assert [a["text"] for a in view.figure["layout"]["annotations"]] == ["SpO2 (%)"]
    assert view.notes == ("No P/F ratio yet.",)


def test_the_figure_uses_no_markup_plotly_writes_as_a_style_attribute() -> None:
    # <b>, <i>, <span style> in a text become style attributes, which a strict CSP refuses.
    panels = (Panel("SpO2", "%", (Series("SpO2", (Point(0, 93.0),)),), (Threshold(88, "stop ≥ 88"),)),)
    fig = figure(Chart("c", "SpO2", "Minutes", panels, markers=(Marker(0, "start"),)))
    assert "<b>" not in str(fig) and "<i>" not in str(fig) and "style" not in str(fig)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Point(float("nan"), 1.0), "finite"),
        (lambda: Point(0, float("inf")), "finite"),
        (lambda: Point(True, 1.0), "date, a number or a label"),
        (lambda: Band("normal"), "needs a low, a high or edges"),
        (lambda: Band("normal", low=90, high=80), "above its high"),
        (lambda: Band("normal", low=80, edges=(BandEdge(1, low=80),)), "not both"),
        (lambda: Chart("bad id!", "t", "x", ()), "chart id"),
        (lambda: Chart("c", "t", "x", (_spo2((0, 1.0), ("Month 3", 2.0)),)), "mixes x kinds"),
        (lambda: Panel("empty", "", ()), "at least one series"),
    ],
)
def test_a_chart_that_cannot_be_drawn_is_refused_where_it_is_built(make: Any, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def test_nothing_in_the_mode_bar_sends_or_saves_the_patients_values_elsewhere() -> None:
    fig = figure(Chart("c", "SpO2", "Minutes", (_spo2((0, 93)),)))
    assert fig is not None
    config = fig["config"]
    assert config["showSendToCloud"] is False and config["showLink"] is False and not config["displaylogo"]
    assert config["modeBarButtons"] == [["zoom2d", "pan2d", "zoomIn2d", "zoomOut2d", "resetScale2d"]]
