"""Cell and exosome dose arithmetic for one administration.

Doses in MSC trials are prescribed per kg of actual or predicted body weight
(e.g. START: 10 x 10^6 cells/kg PBW, Matthay MA et al., Lancet Respir Med
2019;7:154-62, doi:10.1016/S2213-2600(18)30418-1; Duke COVID phase I:
1 x 10^6/kg capped at 100 x 10^6 cells) or, for inhaled MSC exosomes, in
particles per dose (MEXCOVID: 2.0 x 10^8 nanovesicles daily, Zhu YG et al.,
Stem Cell Res Ther 2022, doi:10.1186/s13287-022-02900-5). Predicted body
weight is the ARDSNet equation (``oxygenation.predicted_body_weight_kg``).

All functions are pure; invalid inputs raise ``ClinicalInputError`` naming the
field. ``dose_for_arm`` is what the care-pathway app and the engine call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from stromal.clinical.observations import FIELDS
from stromal.clinical.oxygenation import predicted_body_weight_kg
from stromal.clinical.precision import PRODUCT_UNIT_RATIO_DECIMALS, recorded
from stromal.clinical.protocol import Arm, Route, WeightBasis
from stromal.clinical.validation import ClinicalInputError, check_value


def _positive(field: str, value: float) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ClinicalInputError(field, value, "must be a finite number > 0")
    return float(value)


def dosing_weight_kg(
    basis: WeightBasis, *, sex: str | None, height_cm: float | None, weight_kg: float | None
) -> float:
    """The weight a per-kg dose is multiplied by: actual weight, or ARDSNet PBW."""
    if basis is WeightBasis.PREDICTED:
        if sex is None:
            raise ClinicalInputError("sex", None, "needed for a dose on predicted body weight")
        if height_cm is None:
            raise ClinicalInputError("height_cm", None, "needed for a dose on predicted body weight")
        return predicted_body_weight_kg(sex, height_cm)  # refuses an impossible weight
    if weight_kg is None:
        raise ClinicalInputError("weight_kg", None, "needed for a dose on actual body weight")
    return float(check_value(FIELDS["weight_kg"], weight_kg))


def total_cells(dose_cells_per_kg: float, weight_kg: float, max_total_cells: float | None = None) -> float:
    """Cells per kg x weight, capped at ``max_total_cells`` when given."""
    cells = _positive("dose_cells_per_kg", dose_cells_per_kg) * _positive("weight_kg", weight_kg)
    if max_total_cells is not None:
        cells = min(cells, _positive("max_total_cells", max_total_cells))
    return cells


def product_units(total_cells_needed: float, cells_per_unit: float) -> int:
    """Whole product units (bags/vials) to thaw: rounded up so the dose is covered."""
    ratio = _positive("total_cells", total_cells_needed) / _positive("cells_per_unit", cells_per_unit)
    # 3.0000000001 from floating point must not turn into 4 units (precision policy).
    return math.ceil(recorded(ratio, PRODUCT_UNIT_RATIO_DECIMALS))


def volume_ml(amount: float, amount_per_ml: float) -> float:
    """Volume (mL) that holds ``amount`` (cells or particles) at ``amount_per_ml``."""
    return _positive("amount", amount) / _positive("concentration_per_ml", amount_per_ml)


def infusion_rate_ml_per_h(volume: float, duration_minutes: float) -> float:
    """Pump rate (mL/h) to give ``volume`` mL over ``duration_minutes``."""
    return _positive("volume_ml", volume) * 60.0 / _positive("infusion_minutes", duration_minutes)


@dataclass(frozen=True)
class DoseCalculation:
    """One administration's dose. Cell fields are None for an inhaled arm and
    ``dose_particles`` is None for an IV cell arm."""

    arm: str
    route: Route
    weight_basis: WeightBasis | None
    dosing_weight_kg: float | None
    dose_cells_per_kg: float | None
    uncapped_total_cells: float | None
    total_cells: float | None
    capped: bool
    expected_viable_cells: float | None
    dose_particles: float | None
    product_units: int | None
    volume_ml: float | None
    infusion_minutes: float | None
    infusion_rate_ml_per_h: float | None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = dict(self.__dict__)
        out["route"] = str(self.route)
        out["weight_basis"] = None if self.weight_basis is None else str(self.weight_basis)
        return out


def dose_for_arm(
    arm: Arm,
    *,
    sex: str | None = None,
    height_cm: float | None = None,
    weight_kg: float | None = None,
    cells_per_unit: float | None = None,
    concentration_per_ml: float | None = None,
    infusion_minutes: float | None = None,
) -> DoseCalculation:
    """Compute one administration of ``arm`` for a patient.

    - IV cell arm: total cells = ``arm.dose_cells_per_kg`` x dosing weight
      (actual or predicted per ``arm.weight_basis``), capped at
      ``arm.max_total_cells``; units need ``cells_per_unit``; volume needs
      ``concentration_per_ml`` (cells/mL); the rate needs a duration:
      ``infusion_minutes`` or else the arm's ``infusion_minutes_max`` (the
      slower, more cautious end of the protocol's range).
    - Inhaled exosome arm: ``arm.dose_particles`` per dose; volume needs
      ``concentration_per_ml`` (particles/mL). No weight is needed.
    """
    if arm.route is None:
        raise ClinicalInputError("arm", arm.name, "a control arm has no dose")
    if arm.route is Route.INHALED:
        particles = arm.dose_particles
        assert particles is not None  # guaranteed by Arm validation
        vol = volume_ml(particles, concentration_per_ml) if concentration_per_ml is not None else None
        return DoseCalculation(
            arm=arm.name,
            route=arm.route,
            weight_basis=None,
            dosing_weight_kg=None,
            dose_cells_per_kg=None,
            uncapped_total_cells=None,
            total_cells=None,
            capped=False,
            expected_viable_cells=None,
            dose_particles=particles,
            product_units=None,
            volume_ml=vol,
            infusion_minutes=None,
            infusion_rate_ml_per_h=None,
        )
    per_kg = arm.dose_cells_per_kg
    assert per_kg is not None  # guaranteed by Arm validation
    weight = dosing_weight_kg(arm.weight_basis, sex=sex, height_cm=height_cm, weight_kg=weight_kg)
    uncapped = total_cells(per_kg, weight)
    cells = total_cells(per_kg, weight, arm.max_total_cells)
    units = product_units(cells, cells_per_unit) if cells_per_unit is not None else None
    vol = volume_ml(cells, concentration_per_ml) if concentration_per_ml is not None else None
    minutes = infusion_minutes if infusion_minutes is not None else arm.infusion_minutes_max
    rate = infusion_rate_ml_per_h(vol, minutes) if vol is not None and minutes is not None else None
    viable = cells * arm.viability_pct / 100.0 if arm.viability_pct is not None else None
    return DoseCalculation(
        arm=arm.name,
        route=arm.route,
        weight_basis=arm.weight_basis,
        dosing_weight_kg=weight,
        dose_cells_per_kg=per_kg,
        uncapped_total_cells=uncapped,
        total_cells=cells,
        capped=cells < uncapped,
        expected_viable_cells=viable,
        dose_particles=None,
        product_units=units,
        volume_ml=vol,
        infusion_minutes=minutes,
        infusion_rate_ml_per_h=rate,
    )
