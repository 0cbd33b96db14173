"""Dose events from a treatment arm: the clinic's protocol is the trial arm.

A ``stromal.clinical.protocol.Arm`` becomes bolus events on the model's
states, one row per virtual patient:

- IV MSC: cells/kg x (actual or ARDSNet predicted) body weight, capped at
  ``max_total_cells``, x product viability -> viable cells infused, x the
  patient's first-pass entrapment fraction -> viable MSC added to the lung
  (state ``msc_lung_1e6_cells``, in 10^6 cells). An arm without
  ``viability_pct`` is taken to state its dose in viable cells.
- Inhaled exosomes: particles per administration x the device's lung
  deposition fraction (a per-patient parameter) -> exosomes added to the
  airway (state ``exosome_airway_1e8_particles``, in 10^8 particles).

Timing: model time 0 is insult onset; a patient is enrolled (day 0) at the
parameter ``enrolment_time_h``. An administration on protocol day ``d`` is
given at ``enrolment + 24 d + ADMINISTRATION_OFFSET_H``: enrolment is taken
as 08:00 and every administration as 10:00, i.e. 2 h later on its day
(the START infusion followed randomisation within hours; the clinic
pathway infuses in the morning). Infusions are treated as boluses: a 1-2 h
infusion is short against the 24-h MSC half-life.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from stromal.clinical.protocol import Arm, NebuliserDevice, Route, WeightBasis
from stromal.model import codegen
from stromal.model.parameters import PARAMETER_INDEX

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Hours from enrolment (08:00) to an administration (10:00) on its day.
ADMINISTRATION_OFFSET_H = 2.0

CELLS_PER_STATE_UNIT = 1e6  # msc_lung_1e6_cells
PARTICLES_PER_STATE_UNIT = 1e8  # exosome_airway_1e8_particles

DEPOSITION_PARAMETER: dict[NebuliserDevice, str] = {
    NebuliserDevice.JET: "deposition_jet",
    NebuliserDevice.MESH: "deposition_mesh",
    NebuliserDevice.VENTILATOR_INLINE: "deposition_ventilator_inline",
}


@dataclass(frozen=True)
class DoseEvents:
    """Bolus events per patient, padded with ``inf`` times (amount 0)."""

    times_h: FloatArray  # (n_patients, max_events), sorted per row
    state_index: IntArray  # (n_patients, max_events), index into MODEL.states
    amount: FloatArray  # (n_patients, max_events), in the target state's unit

    def __post_init__(self) -> None:
        shapes = {self.times_h.shape, self.state_index.shape, self.amount.shape}
        if len(shapes) != 1 or self.times_h.ndim != 2:
            raise ValueError(f"DoseEvents: times_h, state_index and amount need one 2-D shape, got {shapes}")

    @property
    def n_patients(self) -> int:
        return int(self.times_h.shape[0])

    def for_patient(self, i: int) -> list[tuple[float, int, float]]:
        """The finite events of patient ``i`` as ``(time_h, state_index, amount)``."""
        keep = np.isfinite(self.times_h[i])
        return [
            (float(t), int(s), float(a))
            for t, s, a in zip(
                self.times_h[i][keep], self.state_index[i][keep], self.amount[i][keep], strict=True
            )
        ]


def no_doses(n: int) -> DoseEvents:
    """``n`` patients without treatment (one padding column)."""
    return DoseEvents(
        times_h=np.full((n, 1), np.inf),
        state_index=np.zeros((n, 1), dtype=np.int64),
        amount=np.zeros((n, 1)),
    )


def merge(*events: DoseEvents) -> DoseEvents:
    """Combine events of the same patients (e.g. two arms' products), sorted by time."""
    if not events:
        raise ValueError("merge: needs at least one DoseEvents")
    n = events[0].n_patients
    if any(e.n_patients != n for e in events):
        raise ValueError("merge: every DoseEvents must have the same number of patients")
    times = np.concatenate([e.times_h for e in events], axis=1)
    index = np.concatenate([e.state_index for e in events], axis=1)
    amount = np.concatenate([e.amount for e in events], axis=1)
    order = np.argsort(times, axis=1, kind="stable")
    times = np.take_along_axis(times, order, axis=1)
    index = np.take_along_axis(index, order, axis=1)
    amount = np.take_along_axis(amount, order, axis=1)
    # Drop padding columns that are padding for everyone (keep at least one).
    width = max(1, int(np.isfinite(times).sum(axis=1).max(initial=0)))
    return DoseEvents(times[:, :width], index[:, :width], amount[:, :width])


def predicted_body_weight_kg(sex_male: npt.ArrayLike, height_cm: npt.ArrayLike) -> FloatArray:
    """ARDSNet predicted body weight, vectorised: 50 (men) or 45.5 (women) + 0.91 (height - 152.4).

    The same formula as ``stromal.clinical.oxygenation.predicted_body_weight_kg``
    (ARDS Network, N Engl J Med 2000;342:1301-8, doi:10.1056/NEJM200005043421801);
    a test checks they agree.
    """
    male = np.asarray(sex_male, dtype=np.float64)
    height = np.asarray(height_cm, dtype=np.float64)
    return np.asarray(np.where(male >= 0.5, 50.0, 45.5) + 0.91 * (height - 152.4), dtype=np.float64)


def _column(name: str, value: npt.ArrayLike, n: int) -> FloatArray:
    arr = (
        np.broadcast_to(np.asarray(value, dtype=np.float64), (n,))
        if np.ndim(value) == 0
        else np.asarray(value, dtype=np.float64)
    )
    if arr.shape != (n,):
        raise ValueError(f"{name}: needs shape ({n},) to match params, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: must be finite numbers")
    return arr


def _dose_target_index(route: str) -> int:
    """Index of the state that receives a bolus by ``route``, read from the
    cached model layout so that dosing never has to build the SymPy model."""
    layout = codegen.load_default()
    return layout.state_names.index(layout.dose_targets[route])


def dose_events_for_arm(
    arm: Arm,
    *,
    weight_kg: npt.ArrayLike,
    height_cm: npt.ArrayLike,
    sex_male: npt.ArrayLike,
    params: FloatArray,
    enrolment_h: float | npt.ArrayLike | None = None,
) -> DoseEvents:
    """Bolus events of ``arm`` for each patient (row of ``params``).

    ``weight_kg``, ``height_cm`` and ``sex_male`` (1 = male) are per patient
    (or scalars); ``enrolment_h`` overrides the patients' ``enrolment_time_h``
    parameter (hours after insult onset). A control arm gives ``no_doses``.
    Raises ``ValueError`` naming the argument and the rule.
    """
    p = np.asarray(params, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != len(PARAMETER_INDEX):
        raise ValueError(f"params: needs shape (n, {len(PARAMETER_INDEX)}), got {p.shape}")
    n = p.shape[0]
    if arm.is_control:
        return no_doses(n)
    weight = _column("weight_kg", weight_kg, n)
    height = _column("height_cm", height_cm, n)
    male = _column("sex_male", sex_male, n)
    if np.any(weight <= 0):
        raise ValueError("weight_kg: must be > 0")
    enrol = (
        p[:, PARAMETER_INDEX["enrolment_time_h"]]
        if enrolment_h is None
        else _column("enrolment_h", enrolment_h, n)
    )
    days = np.asarray(arm.days, dtype=np.float64)
    times = enrol[:, None] + 24.0 * days[None, :] + ADMINISTRATION_OFFSET_H

    if arm.route is Route.IV:
        assert arm.dose_cells_per_kg is not None  # guaranteed by Arm validation
        basis = weight if arm.weight_basis is WeightBasis.ACTUAL else predicted_body_weight_kg(male, height)
        if np.any(basis <= 0):
            raise ValueError("height_cm: predicted body weight must be > 0 kg")
        cells = arm.dose_cells_per_kg * basis
        if arm.max_total_cells is not None:
            cells = np.minimum(cells, arm.max_total_cells)
        viability = 1.0 if arm.viability_pct is None else arm.viability_pct / 100.0
        lung = cells * viability * p[:, PARAMETER_INDEX["msc_first_pass_fraction"]] / CELLS_PER_STATE_UNIT
        target = _dose_target_index("iv")
        amount = np.repeat(lung[:, None], days.size, axis=1)
    else:
        assert arm.dose_particles is not None and arm.device is not None
        deposited = arm.dose_particles * p[:, PARAMETER_INDEX[DEPOSITION_PARAMETER[arm.device]]]
        target = _dose_target_index("inhaled")
        amount = np.repeat((deposited / PARTICLES_PER_STATE_UNIT)[:, None], days.size, axis=1)
    index = np.full(times.shape, target, dtype=np.int64)
    return DoseEvents(np.ascontiguousarray(times), index, np.ascontiguousarray(amount, dtype=np.float64))
