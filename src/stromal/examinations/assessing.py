"""The bridge from an encounter's results to ``stromal.clinical.assess``.

The clinical library gets only keys it defines (``FIELDS``), plus the
patient's sex, age on the encounter day, height and the site's barometric
pressure (Berlin altitude correction). Its answer is stored as plain JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from stromal.clinical.observations import FIELDS
from stromal.clinical.validation import ClinicalInputError
from stromal.examinations.models import Encounter

SEA_LEVEL_MMHG = 760.0


def assessment_inputs(*, encounter: Encounter, values: Mapping[str, Any]) -> dict[str, Any]:
    patient = encounter.patient
    inputs: dict[str, Any] = {k: v for k, v in values.items() if k in FIELDS}
    inputs["sex"] = patient.sex
    inputs["age_years"] = float(patient.age_years_on(encounter.scheduled_for.date()))
    if patient.height_cm is not None:
        inputs["height_cm"] = patient.height_cm
    pressure = patient.site.barometric_pressure_mmhg
    if pressure != SEA_LEVEL_MMHG and "barometric_pressure_mmhg" in FIELDS:
        inputs.setdefault("barometric_pressure_mmhg", pressure)
    return dict(sorted(inputs.items()))


def run_assessments(inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """(rule version, results). A refused input is stored as the error, naming field, value and rule."""
    from stromal.clinical.assess import RULES_VERSION, assess

    try:
        results: Any = assess(dict(inputs))
    except ClinicalInputError as exc:
        results = {"error": exc.as_dict()}
    plain: dict[str, Any] = json.loads(json.dumps(results, default=str))
    return str(RULES_VERSION), plain
