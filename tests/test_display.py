"""How numbers, quantities and codes read on screen (``stromal.display`` and its template filters)."""

from __future__ import annotations

import math

import pytest
from django.template import Context, Template
from hypothesis import given
from hypothesis import strategies as st

from stromal import display
from stromal.clinical.protocol import Arm, NebuliserDevice, ProductType, Route, StoppingRuleSet, WeightBasis
from stromal.products.models import ProductType as ProductChoices


def test_a_cell_count_reads_in_scientific_notation_with_its_unit() -> None:
    assert display.cells(80000000.0) == "8.0 × 10⁷ cells"
    assert display.cells_per_kg(1e6) == "1.0 × 10⁶ cells/kg"
    assert display.particles(2.5e9) == "2.5 × 10⁹ particles"


def test_a_mantissa_that_rounds_to_ten_carries_into_the_exponent() -> None:
    assert display.scientific(99_960_000.0) == "1.0 × 10⁸"


def test_a_whole_number_loses_its_trailing_zero_and_a_fraction_keeps_two_decimals_at_most() -> None:
    assert display.number(98.0) == "98"
    assert display.number(0.40) == "0.4"
    assert display.number(36.666) == "36.67"
    assert display.number(-0.001) == "0"
    assert display.number(99_999.0) == "99999"
    assert display.number(100_000.0) == "1.0 × 10⁵"


def test_nothing_recorded_reads_as_a_dash_without_a_unit() -> None:
    assert display.number(None) == "—"
    assert display.quantity(None, "mmHg") == "—"
    assert display.quantity(70, "mmHg") == "70 mmHg"


def test_yes_and_no_are_words_not_python_booleans() -> None:
    assert display.yes_no(True) == "yes" and display.yes_no(False) == "no"
    assert display.yes_no("True") == "yes" and display.number(True) == "yes"
    assert display.quantity(True, "mmHg") == "yes"


def test_a_code_reads_as_the_label_its_model_choices_give() -> None:
    assert display.choice_label("uc_msc", ProductChoices.choices) == "UC-MSC (umbilical cord)"
    assert display.choice_label("no_such_code", ProductChoices.choices) == "no such code"


@pytest.mark.parametrize("enum", [Route, WeightBasis, NebuliserDevice, StoppingRuleSet])
def test_every_protocol_code_has_a_label(enum: type) -> None:
    for member in enum:  # type: ignore[attr-defined]
        assert display.code_label(member.value) == display.ENUM_LABELS[member]


def test_an_arm_reads_as_what_it_gives_not_its_code() -> None:
    arm = Arm("ucmsc_iv", Route.IV, ProductType.UC_MSC, dose_cells_per_kg=1e6, days=(1, 2))
    assert display.arm_label(arm, ProductChoices.choices) == "UC-MSC (umbilical cord), intravenous"
    assert display.arm_label(Arm("conventional")) == "Conventional treatment only"


@given(st.floats(min_value=1e5, max_value=1e15))
def test_a_large_number_shown_in_scientific_notation_reads_back_within_its_rounding(x: float) -> None:
    text = display.scientific(x)
    mantissa_text, power = text.split(" × 10")
    exponent = int(power.translate(str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")))
    mantissa = float(mantissa_text)
    assert 1 <= mantissa < 10
    assert math.isclose(mantissa * 10**exponent, x, rel_tol=0.051)


@given(st.floats(min_value=-99_999, max_value=99_999))
def test_a_small_number_is_shown_to_two_decimals_at_most(x: float) -> None:
    text = display.number(x)
    assert abs(float(text) - x) <= 0.005 + 1e-9
    assert "." not in text or len(text.split(".")[1]) <= 2


def _render(source: str, **context: object) -> str:
    return Template("{% load display %}" + source).render(Context(context))


def test_the_template_filters_apply_the_same_rules() -> None:
    assert _render("{{ n|cells }}", n=80000000.0) == "8.0 × 10⁷ cells"
    assert _render('{{ v|quantity:"mmHg" }}', v=70.0) == "70 mmHg"
    assert _render("{{ b|yes_no }}", b=True) == "yes"
    assert _render('{{ s|label:"sex" }}', s="female") == "Female"
    assert _render('{{ p|label:"product" }}', p="uc_msc") == "UC-MSC (umbilical cord)"
    assert _render("{{ r|code_label }}", r="iv") == "intravenous"
    assert _render("{{ k|observation_label }}", k="pao2_mmhg") == "Arterial partial pressure of oxygen (mmHg)"
    assert _render('{{ v|observation:"heart_rate_bpm" }}', v=98.0) == "98 /min"
