"""The studied dose range: doses given to people in the shipped protocols and the cited trials.

An in-silico trial outside this range extrapolates the model's dose-response
beyond anything it was built or checked against, so ``stromal trial``
refuses such a dose unless the configuration says
``allow_extrapolation = true`` (then every report marks it as extrapolated).

The range is per administration and per route (an IV cell dose in cells per
kg, an inhaled exosome dose in particles); it is the union of the shipped
protocol arms (:func:`stromal.clinical.protocol.builtin_protocols`) and the
published doses in :data:`STUDIED_DOSES`. A protocol added to the library
widens the range with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from stromal.clinical.protocol import Arm, Route, builtin_protocols


@dataclass(frozen=True)
class StudiedDose:
    """One dose per administration given to people in a published study."""

    route: Route
    dose: float  # cells/kg (IV) or particles (inhaled), per administration
    study: str


#: Published per-administration doses (verified against the trial reports).
STUDIED_DOSES: tuple[StudiedDose, ...] = (
    StudiedDose(
        Route.IV,
        10e6,
        "Matthay MA et al., Lancet Respir Med 2019;7:154-62, doi:10.1016/S2213-2600(18)30418-1 "
        "(START, NCT02097641): one IV dose of 10×10^6 BM-MSC/kg predicted body weight",
    ),
    StudiedDose(
        Route.IV,
        2e6,
        "Bowdish ME et al., Am J Respir Crit Care Med 2023;207:261-70, doi:10.1164/rccm.202201-0157OC "
        "(remestemcel-L): two IV infusions of 2×10^6 cells/kg",
    ),
    StudiedDose(
        Route.IV,
        1e6,
        "Monsel A et al., Crit Care 2022;26:48, doi:10.1186/s13054-022-03930-4 (STROMA-CoV-2): "
        "three IV infusions of 10^6 UC-MSC/kg",
    ),
    StudiedDose(
        Route.INHALED,
        2e8,
        "Zhu YG et al., Stem Cell Res Ther 2022, doi:10.1186/s13287-022-02900-5 (MEXCOVID): "
        "2.0×10^8 nanovesicles nebulised daily for 5 days",
    ),
    StudiedDose(
        Route.INHALED,
        16e8,
        "Shi MM et al., J Extracell Vesicles 2021, doi:10.1002/jev2.12134 (MEXVT, NCT04313647): "
        "single nebulised doses of 2×10^8 to 16×10^8 particles in healthy volunteers",
    ),
)

#: Not a per-kg dose, so it does not set the cells/kg range; recorded for the report.
FIXED_DOSE_NOTE = (
    "Lanzoni G et al., Stem Cells Transl Med 2021, doi:10.1002/sctm.20-0472 (NCT04355728) gave "
    "a fixed 100×10^6 UC-MSC per infusion (about 1.3×10^6/kg at 75 kg), inside the range above."
)

ALLOW_HINT = "set allow_extrapolation = true (top level of the trial TOML) to run it anyway"

UNIT = {Route.IV: "cells/kg", Route.INHALED: "particles"}
DOSE_KEY = {Route.IV: "dose_cells_per_kg", Route.INHALED: "dose_particles"}


@dataclass(frozen=True)
class StudiedRange:
    route: Route
    low: float
    high: float
    sources: tuple[str, ...]

    @property
    def unit(self) -> str:
        return UNIT[self.route]

    def describe(self) -> str:
        return f"{self.low:g}–{self.high:g} {self.unit} per administration"


def _arm_dose(arm: Arm) -> float | None:
    return arm.dose_cells_per_kg if arm.route is Route.IV else arm.dose_particles


def studied_range(route: Route) -> StudiedRange:
    """The lowest and highest per-administration dose studied for ``route``, with every source."""
    doses: list[float] = []
    sources: list[str] = []
    for study in STUDIED_DOSES:
        if study.route is route:
            doses.append(study.dose)
            sources.append(study.study)
    for protocol in builtin_protocols():
        for arm in protocol.arms:
            dose = _arm_dose(arm)
            if arm.route is route and dose is not None:
                doses.append(dose)
                sources.append(
                    f"protocol {protocol.code} v{protocol.version}, arm {arm.name}: {dose:g} {UNIT[route]}"
                )
    return StudiedRange(route, min(doses), max(doses), tuple(sources))


@dataclass(frozen=True)
class Extrapolation:
    """A configured dose outside the studied range (``key`` is the dotted TOML key)."""

    key: str
    dose: float
    range: StudiedRange

    def describe(self) -> str:
        return (
            f"{self.dose:g} {self.range.unit} is outside the studied range {self.range.describe()} "
            f"(sources: {'; '.join(self.range.sources)})"
        )

    def message(self) -> str:
        """The refusal: the dose, the studied range, its sources and the way out."""
        return self.describe() + "; " + ALLOW_HINT

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "dose": self.dose,
            "unit": self.range.unit,
            "studied_low": self.range.low,
            "studied_high": self.range.high,
            "sources": list(self.range.sources),
        }


def extrapolations(doses: Sequence[tuple[str, Route, float]]) -> list[Extrapolation]:
    """The ``(key, route, dose)`` entries outside their route's studied range."""
    ranges = {route: studied_range(route) for route in {r for _, r, _ in doses}}
    out = []
    for key, route, dose in doses:
        rng = ranges[route]
        if not rng.low <= dose <= rng.high:
            out.append(Extrapolation(key, dose, rng))
    return out
