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
