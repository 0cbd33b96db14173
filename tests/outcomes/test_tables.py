"""Analytics tables: a number sits under its own header, and a visit's nominal day is the protocol's."""

from __future__ import annotations

from django.template.loader import render_to_string

from stromal.outcomes.tables import Column, Table
from stromal.outcomes.trajectories import BASELINE_EVENT, DISCHARGE_EVENT, nominal_day


def test_numeric_cells_are_aligned_like_their_numeric_headers() -> None:
    table = Table(
        "t", "Counts", [Column("step", "Step"), Column("n", "Patients", numeric=True)], [["examined", 12]]
    )
    view = table.view({})
    assert view.cells() == [[("examined", False), ("12", True)]]
    html = render_to_string("outcomes/_table_body.html", {"view": view})
    assert '<td>examined</td><td class="num">12</td>' in html
    assert html.count('class="num"') == 2  # the header and the cell


def test_the_day_1_examination_is_day_0_and_a_discharge_has_no_nominal_day() -> None:
    order = {BASELINE_EVENT: -2, DISCHARGE_EVENT: -1, "m6": 182}
    assert nominal_day(BASELINE_EVENT, order) == 0
    assert nominal_day(DISCHARGE_EVENT, order) is None
    assert nominal_day("m6", order) == 182
    assert nominal_day("unscheduled", order) is None
