"""CSV cells that a spreadsheet would run as formulas are written as text."""

from __future__ import annotations

import pytest

from stromal.csv_export import csv_lines, safe_cell


@pytest.mark.parametrize("text", ["=1+1", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_could_start_a_formula_gets_an_apostrophe(text: str) -> None:
    assert safe_cell(text) == "'" + text


def test_numbers_stay_numbers_even_when_negative() -> None:
    assert safe_cell(-5) == -5
    assert safe_cell(-0.5) == -0.5


def test_ordinary_text_none_and_booleans() -> None:
    assert safe_cell("ARDS") == "ARDS"
    assert safe_cell(None) == ""
    assert safe_cell(True) == "true"


def test_lines_are_quoted_csv() -> None:
    lines = list(csv_lines(["a", "b"], [["x,y", "=cmd"]]))
    assert lines == ["a,b\r\n", '"x,y",\'=cmd\r\n']
