"""Unit hints and plain-language messages, made in one place (``validation``) for every field."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stromal.clinical.observations import FIELDS
from stromal.clinical.validation import (
    ClinicalInputError,
    Kind,
    check_value,
    in_range,
    plain_message,
    unit_hint,
)

NUMERIC = sorted(name for name, spec in FIELDS.items() if spec.kind in (Kind.NUMBER, Kind.INTEGER))


def _outside(name: str) -> st.SearchStrategy[float]:
    spec = FIELDS[name]
    assert spec.minimum is not None and spec.maximum is not None
    span = max(spec.maximum - spec.minimum, 1.0)
    below = st.floats(spec.minimum - 1000 * span, spec.minimum, exclude_max=True)
    above = st.floats(spec.maximum, spec.maximum + 1000 * span, exclude_min=True)
    scaled = st.sampled_from([0.01, 0.1, 10.0, 100.0, 1000.0, 1 / 88.4, 88.4, 17.1, 1 / 17.1]).map(
        lambda k: spec.maximum * k
    )
    return st.one_of(below, above, scaled).filter(lambda x: math.isfinite(x) and not in_range(spec, x))


@settings(max_examples=60, deadline=None)
@given(data=st.data())
@pytest.mark.parametrize("name", NUMERIC)
def test_a_suggested_value_always_lies_inside_the_range_of_the_field_it_is_suggested_for(
    name: str, data: st.DataObject
) -> None:
    number = data.draw(_outside(name))
    hint = unit_hint(FIELDS[name], number)
    if hint is not None and hint.value is not None:
        assert hint.field is not None
        assert in_range(FIELDS[hint.field], hint.value), (name, number, hint)


@pytest.mark.parametrize(
    ("field", "value", "suggested_field", "suggested"),
    [
        ("fio2", 40, "fio2", 0.40),
        ("fio2", 21, "fio2", 0.21),
        ("spo2_pct", 0.9, "spo2_pct", 90.0),
        ("temperature_c", 101.3, "temperature_c", 38.5),
        ("height_cm", 1.75, "height_cm", 175.0),
        ("creatinine_mg_dl", 88, "creatinine_umol_l", 88.0),
        ("creatinine_umol_l", 1.1, "creatinine_mg_dl", 1.1),
        ("bilirubin_mg_dl", 150, "bilirubin_umol_l", 150.0),
    ],
)
def test_a_likely_unit_slip_gets_a_value_that_fits(
    field: str, value: float, suggested_field: str, suggested: float
) -> None:
    hint = unit_hint(FIELDS[field], value)
    assert hint is not None
    assert (hint.field, hint.value) == (suggested_field, pytest.approx(suggested))


@pytest.mark.parametrize(
    ("field", "value"), [("fio2", 5), ("fio2", 0.05), ("spo2_pct", 0.3), ("spo2_pct", 0.2)]
)
def test_no_value_is_suggested_when_the_rescaled_value_is_still_out_of_range(
    field: str, value: float
) -> None:
    with pytest.raises(ClinicalInputError) as err:
        check_value(FIELDS[field], value)
    assert err.value.suggestion is None


def test_creatinine_in_micromoles_entered_as_mg_dl_points_to_the_si_field() -> None:
    with pytest.raises(ClinicalInputError) as err:
        check_value(FIELDS["creatinine_mg_dl"], 88)
    assert err.value.suggestion == "did you enter µmol/L? use creatinine_umol_l"


def test_a_negative_count_gets_a_hint_without_a_number() -> None:
    hint = unit_hint(FIELDS["platelets_10e3_per_ul"], -5)
    assert hint is not None and hint.value is None and "negative" in hint.text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("pao2_mmhg", 900.0, "PaO2 900 mmHg is outside the accepted range 20–700 mmHg"),
        ("fio2", 5, "FiO2 5 is outside the accepted range 0.21–1 (a fraction, not %)"),
        ("creatinine_mg_dl", 88, "Creatinine 88 mg/dL is outside the accepted range 0.1–30 mg/dL"),
        ("gcs", 12.5, "GCS: enter a whole number in 3–15 points"),
        ("support", "tube", "Respiratory support at the time of the blood gas: enter one of"),
    ],
)
def test_the_message_for_a_person_is_in_words_with_the_unit(field: str, value: object, message: str) -> None:
    spec = FIELDS[field]
    with pytest.raises(ClinicalInputError) as err:
        check_value(spec, value)
    text = plain_message(spec, err.value)
    assert text.startswith(message)
    assert f"{field}=" not in text


def test_the_percent_fio2_message_keeps_its_hint() -> None:
    spec = FIELDS["fio2"]
    with pytest.raises(ClinicalInputError) as err:
        check_value(spec, 40)
    assert plain_message(spec, err.value).endswith("did you mean 0.40? FiO2 is a fraction, not a percentage")


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("pao2_mmhg", "a number in 20–700 mmHg"),
        ("gcs", "a whole number in 3–15 points"),
        ("bilateral_opacities", "true or false"),
        ("sex", "one of female, male"),
    ],
)
def test_each_kind_of_field_states_its_rule(field: str, text: str) -> None:
    assert FIELDS[field].rule_text() == text


def test_a_rule_across_fields_reads_as_label_and_rule() -> None:
    spec = FIELDS["creatinine_umol_l"]
    error = ClinicalInputError(spec.name, 100, "one quantity in two units")
    assert plain_message(spec, error) == "Creatinine: one quantity in two units"


def test_a_percentage_field_shows_its_unit_in_the_message() -> None:
    spec = FIELDS["spo2_pct"]
    with pytest.raises(ClinicalInputError) as err:
        check_value(spec, 0.3)
    assert plain_message(spec, err.value) == "SpO2 0.3 % is outside the accepted range 50–100 %"


def test_a_refusal_from_check_value_reads_in_words_for_a_page_and_keeps_the_key_for_the_cli() -> None:
    from stromal.clinical.observations import FIELDS
    from stromal.clinical.validation import ClinicalInputError, check_value

    with pytest.raises(ClinicalInputError) as caught:
        check_value(FIELDS["pao2_mmhg"], 900.0)
    assert caught.value.in_words().startswith("PaO2 900 mmHg is outside the accepted range")
    assert str(caught.value).startswith("pao2_mmhg=900.0")
