"""The plan's dose, computed by ``stromal.clinical.dosing`` and frozen as plain data."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from stromal.clinical.dosing import dose_for_arm
from stromal.clinical.protocol import Arm
from stromal.clinical.validation import ClinicalInputError


def compute_dose(*, arm: Arm, sex: str, height_cm: float | None, weight_kg: float | None) -> dict[str, Any]:
    """One administration's dose plus the schedule; a control arm has none."""
    schedule = {"arm": arm.name, "days": list(arm.days), "n_administrations": arm.n_administrations}
    if arm.is_control:
        return {**schedule, "route": None, "control": True}
    try:
        calc = dose_for_arm(arm, sex=sex, height_cm=height_cm, weight_kg=weight_kg)
    except ClinicalInputError as exc:
        raise ValidationError(
            f"Dose not computable: {exc.in_words()}. Record the value on the examination (or the patient) first."
        ) from None
    return {**calc.as_dict(), **schedule, "control": False}
