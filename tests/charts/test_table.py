"""A chart's table holds the chart's numbers: one row per x and label, one column per series, in axis order."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import timezone

from stromal.charts import Band, BandEdge, Chart, LineKind, Marker, Panel, Point, Series, Threshold
from stromal.charts.table import chart_lines, chart_table


def _vitals() -> Chart:
    heart = Series(
        "Heart rate", (Point(15, 88.0, "15 min"), Point(0, 96.0, "Baseline"), Point(0, 95.0, "0 min"))
    )
    bp = (
        Series("Systolic", (Point(0, 118.0, "Baseline"),)),
        Series("Diastolic", (Point(0, 72.0, "Baseline"),)),
    )
    return Chart(
        "v",
        "Vitals through Administration 1",
        "Minutes from the start",
        (Panel("Heart rate", "/min", (heart,)), Panel("Blood pressure", "mmHg", bp)),
    )


def test_rows_follow_the_x_axis_and_points_with_the_same_x_and_label_share_a_row() -> None:
    table = chart_table(_vitals())
    assert table.caption == "Vitals through Administration 1" and table.x_heading == "Minutes from the start"
    assert table.columns == ("Heart rate (/min)", "Systolic (mmHg)", "Diastolic (mmHg)")
    assert [(r.heading, r.cells) for r in table.rows] == [
        ("Baseline", ("96", "118", "72")),
        ("0 min", ("95", "—", "—")),
        ("15 min", ("88", "—", "—")),
    ]


def test_a_row_without_a_label_is_headed_by_its_date_time_in_the_active_zone() -> None:
    at = dt.datetime(2026, 11, 30, 13, 5, tzinfo=dt.UTC)
    chart = Chart("c", "SpO2", "Time", (Panel("SpO2", "%", (Series("SpO2", (Point(at, 94.0),)),)),))
    with timezone.override(zoneinfo.ZoneInfo("Europe/Paris")):
        (row,) = chart_table(chart).rows
    assert row.heading == "2026-11-30 14:05 CET"


def test_visit_labels_keep_the_given_order() -> None:
    series = Series("FVC", (Point("Month 6", 80.0), Point("Month 3", 70.0)))
    table = chart_table(Chart("c", "FVC", "Visit", (Panel("FVC", "% predicted", (series,)),)))
    assert [r.heading for r in table.rows] == ["Month 6", "Month 3"]


def test_a_band_given_at_each_x_adds_its_limits_as_columns() -> None:
    band = Band("LLN", edges=(BandEdge("Month 3", low=80.2), BandEdge("Month 6", low=79.8)))
    series = Series("FVC", (Point("Month 3", 71.0), Point("Month 6", None)))
    table = chart_table(Chart("c", "FVC", "Visit", (Panel("FVC", "% predicted", (series,), band=band),)))
    assert table.columns == ("FVC (% predicted)", "LLN, low (% predicted)")
    assert [r.cells for r in table.rows] == [("71", "80.2"), ("—", "79.8")]


def test_the_lines_a_chart_draws_are_listed_in_words() -> None:
    panel = Panel(
        "FiO2",
        "fraction",
        (Series("FiO2", (Point(0, 0.4),)),),
        (
            Threshold(0.6, "stop ≥ 0.6", "START: hypoxaemia"),
            Threshold(0.21, "room air", kind=LineKind.REFERENCE),
        ),
        Band("target", low=0.3, high=0.5),
    )
    chart = Chart(
        "c", "FiO2", "Minutes from the start", (panel,), markers=(Marker(360, "end", "6 h window"),)
    )
    assert chart_lines(chart) == (
        "FiO2, limit line at 0.6 fraction: stop ≥ 0.6 (START: hypoxaemia)",
        "FiO2, reference line at 0.21 fraction: room air",
        "FiO2, shaded band target: 0.3 fraction to 0.5 fraction",
        "Vertical line at 360 (minutes from the start): end (6 h window)",
    )
