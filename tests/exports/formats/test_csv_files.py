"""The CSV writer's cells: converted only where a conversion changes them, the same as each
variable type's converter gives cell by cell."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from stromal.exports.formats.csv_files import CONVERTERS, row_writer
from stromal.exports.tables import TableSpec, Variable, VarType
from stromal.plans.models import PlanStatus

TABLE = TableSpec(
    "cells",
    "Every kind of cell",
    (
        Variable("text", "Text"),
        Variable("choice", "Choice", VarType.CHOICE),
        Variable("integer", "Integer", VarType.INTEGER),
        Variable("number", "Number", VarType.NUMBER),
        Variable("yes", "Yes/no", VarType.BOOLEAN),
        Variable("date", "Date", VarType.DATE),
        Variable("secret", "Identifying text", identifying=True),
    ),
    rows=lambda chunk: iter(()),
)
ROWS: list[list[Any]] = [
    ["plain", "female", 3, 1.5, True, dt.date(2026, 1, 2), "Ann"],
    ["=HYPERLINK()", "+1", -4, -0.25, False, dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC), "@me"],
    [None, "", None, None, None, None, None],
    [-5, 12.5, "n/a", True, 0, "2026-01-02", "\tTab"],
    ["-minus", PlanStatus.APPROVED, 0, float("nan"), 1, "", "\rcr"],
]


def _written(rows: list[list[Any]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


def test_the_row_writer_writes_the_same_cells_as_the_converters_cell_by_cell() -> None:
    for identified in (True, False):
        columns = TABLE.columns(identified)
        select = TABLE.select(identified)
        by_converters = [
            [CONVERTERS[v.type](x) for v, x in zip(columns, select(row), strict=True)] for row in ROWS
        ]
        convert = row_writer(TABLE, identified)
        assert _written([convert(row) for row in ROWS]) == _written(by_converters)


def test_text_that_could_start_a_formula_is_neutralised_and_numbers_stay_numbers() -> None:
    cells = row_writer(TABLE, identified=False)(ROWS[1])
    assert cells[:2] == ["'=HYPERLINK()", "'+1"]
    assert cells[2:4] == [-4, -0.25] and cells[4] == 0
    assert row_writer(TABLE, identified=False)(ROWS[3])[0] == "'-5"
