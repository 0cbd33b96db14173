"""``stromal assess`` run as a real command: exit codes, JSON out, JSON errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stromal.clinical.observations import FIELDS

MODERATE_ARDS = {
    "pao2_mmhg": 80,
    "fio2": 0.6,
    "spo2_pct": 94,
    "peep_cmh2o": 10,
    "support": "invasive",
    "bilateral_opacities": True,
    "onset_within_7_days": True,
    "edema_explained_by_cardiac_or_fluid": False,
}


def _run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stromal.cli", "assess", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _error(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    error: dict[str, Any] = json.loads(proc.stderr)["error"]
    return error


def test_it_reads_stdin_and_prints_one_json_object() -> None:
    proc = _run(stdin=json.dumps(MODERATE_ARDS))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["berlin"]["severity"] == "moderate"
    assert result["global_definition"]["category"] == "intubated"
    assert result["pf_ratio"] == 133.3


def test_it_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "obs.json"
    path.write_text(json.dumps(MODERATE_ARDS))
    proc = _run(str(path))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["berlin"]["meets"] is True


def test_table_format_is_readable_text() -> None:
    proc = _run("--format", "table", stdin=json.dumps(MODERATE_ARDS))
    assert proc.returncode == 0, proc.stderr
    assert "berlin.severity" in proc.stdout and "moderate" in proc.stdout
    assert not proc.stdout.lstrip().startswith("{")


def test_help_documents_every_input_key_with_its_unit() -> None:
    proc = _run("--help")
    assert proc.returncode == 0
    for spec in FIELDS.values():
        assert spec.name in proc.stdout
        assert spec.unit in proc.stdout


def test_it_suggests_a_fraction_for_fio2_given_as_40() -> None:
    error = _error(_run(stdin='{"fio2": 40}'))
    assert error["field"] == "fio2"
    assert error["value"] == 40
    assert "0.21" in error["rule"]
    assert "0.40" in error["suggestion"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ('{"pao2_mmhg": 701}', "pao2_mmhg"),
        ('{"platelets_10e3_per_ul": -5}', "platelets_10e3_per_ul"),
        ('{"pao2": 80}', "pao2"),
        ('{"support": "cpap"}', "support"),
        ('{"gcs": 9.5}', "gcs"),
        ('{"bilateral_opacities": "yes"}', "bilateral_opacities"),
        ('{"fio2": "0.4"}', "fio2"),
        ('{"fio2": NaN}', "fio2"),
    ],
)
def test_it_refuses_bad_values_naming_the_field(payload: str, field: str) -> None:
    error = _error(_run(stdin=payload))
    assert error["field"] == field
    assert error["rule"]


@pytest.mark.parametrize("payload", ['{"pao2_mmhg": 80', "", "not json"])
def test_it_refuses_malformed_json(payload: str) -> None:
    error = _error(_run(stdin=payload))
    assert error["field"] == "<input>"
    assert "malformed JSON" in error["rule"]


@pytest.mark.parametrize("payload", ["[1, 2]", "42", '"text"', "null"])
def test_it_refuses_json_that_is_not_an_object(payload: str) -> None:
    error = _error(_run(stdin=payload))
    assert "one JSON object" in error["rule"]


def test_it_refuses_a_missing_file(tmp_path: Path) -> None:
    error = _error(_run(str(tmp_path / "absent.json")))
    assert error["field"] == "FILE"


# --- issue #8: cut-offs, impossible outputs, units ---


def test_pf_exactly_200_scores_sofa_respiratory_2_and_prints_200() -> None:
    proc = _run(stdin=json.dumps({"pao2_mmhg": 56, "fio2": 0.28, "support": "invasive"}))
    assert proc.returncode == 0
    out = json.loads(proc.stdout)
    assert out["pf_ratio"] == 200.0
    assert out["sofa"]["components"]["respiratory"] == 2


def test_si_creatinine_is_accepted_and_its_conversion_is_shown() -> None:
    proc = _run(stdin=json.dumps({"creatinine_umol_l": 176.8}))
    assert proc.returncode == 0
    out = json.loads(proc.stdout)
    assert out["sofa"]["components"]["renal"] == 2
    assert out["unit_conversions"]["creatinine_umol_l"]["converted_value"] == 2.0


def test_creatinine_in_two_units_exits_2_naming_both_fields() -> None:
    error = _error(_run(stdin=json.dumps({"creatinine_umol_l": 100, "creatinine_mg_dl": 1.1})))
    assert error["field"] == "creatinine_umol_l"
    assert "creatinine_mg_dl" in error["rule"]


def test_creatinine_88_mg_dl_exits_2_with_the_si_hint() -> None:
    error = _error(_run(stdin=json.dumps({"creatinine_mg_dl": 88})))
    assert error == {
        "field": "creatinine_mg_dl",
        "value": 88,
        "rule": "must be a number in 0.1–30 mg/dL",
        "suggestion": "did you enter µmol/L? use creatinine_umol_l",
    }


@pytest.mark.parametrize(("field", "value"), [("fio2", 5), ("spo2_pct", 0.3)])
def test_a_hint_never_suggests_a_value_outside_the_range(field: str, value: float) -> None:
    error = _error(_run(stdin=json.dumps({field: value})))
    assert "suggestion" not in error


def test_a_100_cm_woman_gets_no_negative_body_weight_but_a_reason_naming_field_and_rule() -> None:
    proc = _run(stdin=json.dumps({"sex": "female", "height_cm": 100, "pao2_mmhg": 80, "fio2": 0.5}))
    assert proc.returncode == 0
    out = json.loads(proc.stdout)
    assert out["predicted_body_weight_kg"] is None
    assert out["missing"]["predicted_body_weight_kg"].startswith("refused: height_cm 100")
    assert out["out_of_reference_range"]["predicted_body_weight_kg"]["field"] == "height_cm"
    assert out["pf_ratio"] == 160.0  # the other assessments are still given


def test_an_extreme_walk_prediction_is_refused_not_negative() -> None:
    proc = _run(stdin=json.dumps({"sex": "male", "age_years": 120, "height_cm": 100, "weight_kg": 300}))
    out = json.loads(proc.stdout)
    assert out["six_minute_walk"]["predicted_m"] is None
    assert "no positive distance" in out["missing"]["six_minute_walk"]


def test_a_walk_prediction_outside_40_to_80_years_carries_its_flag() -> None:
    proc = _run(stdin=json.dumps({"sex": "male", "age_years": 25, "height_cm": 180, "weight_kg": 75}))
    out = json.loads(proc.stdout)
    assert out["six_minute_walk"]["predicted_m"] > 0
    assert out["six_minute_walk"]["out_of_reference_range"]["range"] == "40–80 years"
    assert out["out_of_reference_range"]["six_minute_walk"]["field"] == "age_years"


def test_help_lists_the_si_keys() -> None:
    proc = _run("--help")
    assert "creatinine_umol_l" in proc.stdout and "converted to creatinine_mg_dl" in proc.stdout


# --- issue #9: follow-up measurements from raw values ---

LUNG_CASES = json.loads(
    (Path(__file__).parents[1] / "clinical" / "instruments" / "cases" / "lung_function.json").read_text()
)
MAN_60 = {"sex": "male", "age_years": 60, "height_cm": 175}


def _ok(payload: dict[str, Any]) -> dict[str, Any]:
    proc = _run(stdin=json.dumps(payload))
    assert proc.returncode == 0, proc.stderr
    out: dict[str, Any] = json.loads(proc.stdout)
    return out


@pytest.mark.parametrize("case", LUNG_CASES["spirometry"], ids=lambda c: str(c["answers"]))
def test_spirometry_prints_z_percent_predicted_and_lln_of_the_pinned_gli_values(case: dict[str, Any]) -> None:
    out = _ok({**case["subject"], **case["answers"]})["spirometry"]
    expected = case["expected"]
    assert out["equation"] == expected["equation"]
    for part in ("fev1", "fvc", "fev1_fvc"):
        assert set(out[part]) == {"measured", "z", "percent_predicted", "lln", "below_lln"}
        assert out[part]["z"] == pytest.approx(expected[f"{part}_z"], abs=0.005)
        assert out[part]["percent_predicted"] == pytest.approx(
            expected[f"{part}_percent_predicted"], abs=0.05
        )
        assert out[part]["lln"] == pytest.approx(
            expected[f"{part}_lln"], abs=0.0005 if part == "fev1_fvc" else 0.005
        )
        assert out[part]["below_lln"] is (out[part]["measured"] < out[part]["lln"])


@pytest.mark.parametrize("case", LUNG_CASES["dlco"], ids=lambda c: str(c["answers"]))
def test_dlco_prints_its_gli_2017_reference(case: dict[str, Any]) -> None:
    out = _ok({**case["subject"], **case["answers"]})["dlco"]
    expected = case["expected"]
    assert set(out) == {"measured", "z", "percent_predicted", "lln", "below_lln", "equation", "source"}
    assert out["equation"] == "gli_2017_dlco"
    assert out["z"] == pytest.approx(expected["z"], abs=0.005)
    assert out["lln"] == pytest.approx(expected["lln"], abs=0.005)
    assert out["below_lln"] is (out["measured"] < out["lln"])


def test_gli_2012_is_chosen_with_an_ethnicity_and_differs_from_the_default() -> None:
    default = _ok({**MAN_60, "fev1_l": 2.8, "fvc_l": 3.9})["spirometry"]
    chosen = _ok(
        {**MAN_60, "fev1_l": 2.8, "fvc_l": 3.9, "spirometry_equation": "gli_2012", "ethnicity": "caucasian"}
    )["spirometry"]
    assert (default["equation"], chosen["equation"]) == ("gli_global_2022", "gli_2012")
    assert chosen["fev1"]["lln"] != default["fev1"]["lln"]


def test_dlco_in_si_units_is_converted_by_2_987_and_shown() -> None:
    si = _ok({**MAN_60, "dlco_mmol_min_kpa": 6.7})
    traditional = _ok({**MAN_60, "dlco_ml_min_mmhg": round(6.7 * 2.987, 4)})
    assert si["dlco"]["z"] == traditional["dlco"]["z"]
    assert si["unit_conversions"]["dlco_mmol_min_kpa"]["factor"] == 2.987
    assert si["unit_conversions"]["dlco_mmol_min_kpa"]["converted_value"] == 20.01


def test_a_value_at_the_printed_lln_is_not_below_it() -> None:
    lln = _ok({**MAN_60, "dlco_ml_min_mmhg": 20.0})["dlco"]["lln"]
    assert _ok({**MAN_60, "dlco_ml_min_mmhg": lln})["dlco"]["below_lln"] is False
    assert _ok({**MAN_60, "dlco_ml_min_mmhg": round(lln - 0.01, 2)})["dlco"]["below_lln"] is True


def test_moca_adds_the_education_point_and_flags_impairment_below_26() -> None:
    assert _ok({"moca_score": 25, "education_years": 12})["moca"] | {"source": ""} == {
        "raw_score": 25,
        "education_point": 1,
        "adjusted_score": 26,
        "impaired": False,
        "source": "",
    }
    assert _ok({"moca_score": 25, "education_years": 13})["moca"]["impaired"] is True
    assert _ok({"moca_score": 30, "education_years": 8})["moca"]["adjusted_score"] == 30


def test_mmrc_grade_is_given_back_with_its_description() -> None:
    assert _ok({"mmrc_grade": 4})["mmrc"]["grade"] == 4


def test_without_sex_age_and_height_lung_function_is_null_with_the_reason() -> None:
    out = _ok({"fev1_l": 2.8, "fvc_l": 3.9})
    assert out["spirometry"] is None
    assert out["missing"]["spirometry"] == "needs sex, age_years, height_cm"


def test_an_age_outside_the_equation_gives_a_reason_not_an_error() -> None:
    out = _ok({"sex": "female", "age_years": 90, "height_cm": 160, "dlco_ml_min_mmhg": 12})
    assert out["dlco"] is None and out["missing"]["dlco"].startswith("refused: age_years")


def test_nothing_follow_up_given_says_what_each_needs() -> None:
    out = _ok({})
    assert (out["spirometry"], out["dlco"], out["moca"], out["mmrc"]) == (None, None, None, None)
    assert out["missing"]["dlco"] == "needs dlco_ml_min_mmhg or dlco_mmol_min_kpa"
    assert out["missing"]["moca"] == "needs moca_score and education_years"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"fev1_l": 2.5}, "fvc_l"),
        ({"fev1_l": 4.0, "fvc_l": 3.0}, "fev1_l"),
        ({"fev1_l": 25, "fvc_l": 3.0}, "fev1_l"),
        ({"fev1_l": 2, "fvc_l": 3, "spirometry_equation": "gli_2012"}, "ethnicity"),
        ({"fev1_l": 2, "fvc_l": 3, "ethnicity": "caucasian"}, "ethnicity"),
        ({"fev1_l": 2, "fvc_l": 3, "spirometry_equation": "nhanes3"}, "spirometry_equation"),
        ({"dlco_ml_min_mmhg": 20, "dlco_mmol_min_kpa": 6.7}, "dlco_mmol_min_kpa"),
        ({"dlco_ml_min_mmhg": "20"}, "dlco_ml_min_mmhg"),
        ({"moca_score": 31, "education_years": 10}, "moca_score"),
        ({"moca_score": 25}, "education_years"),
        ({"moca_score": 25.5, "education_years": 10}, "moca_score"),
        ({"mmrc_grade": 5}, "mmrc_grade"),
    ],
)
def test_bad_follow_up_input_exits_2_naming_the_field(payload: dict[str, Any], field: str) -> None:
    error = _error(_run(stdin=json.dumps(payload)))
    assert error["field"] == field and error["rule"]


def test_help_documents_every_follow_up_key_with_unit_and_range() -> None:
    out = _run("--help").stdout
    for key, text in [
        ("fev1_l", "0.1–10 L"),
        ("fvc_l", "0.1–12 L"),
        ("dlco_ml_min_mmhg", "1–80 mL/min/mmHg"),
        ("dlco_mmol_min_kpa", "0.3–27 mmol/min/kPa"),
        ("spirometry_equation", "gli_global_2022, gli_2012"),
        ("ethnicity", "caucasian"),
        ("moca_score", "0–30 points"),
        ("education_years", "0–30 years"),
        ("mmrc_grade", "0–4 grade"),
    ]:
        line = next(line for line in out.splitlines() if line.strip().startswith(key + " "))
        assert text in line, line


def test_the_table_shows_the_follow_up_results() -> None:
    proc = _run(
        "--format",
        "table",
        stdin=json.dumps({**MAN_60, "dlco_ml_min_mmhg": 15, "moca_score": 20, "education_years": 16}),
    )
    assert "dlco" in proc.stdout and "(below the LLN)" in proc.stdout
    assert "moca.adjusted_score" in proc.stdout
