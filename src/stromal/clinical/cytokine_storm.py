"""Cytokine-storm criteria: COVID-CS (Caricchio 2021) and the HScore (Fardet 2014).

COVID-CS: Caricchio R, Gallucci M, Dass C et al. Preliminary predictive
criteria for COVID-19 cytokine storm. Ann Rheum Dis 2021;80(1):88-95,
doi:10.1136/annrheumdis-2020-218323. All entry criteria (COVID-19, ground-glass
opacities, ferritin > 250 ng/mL, CRP > 4.6 mg/dL) plus at least one item from
each of three laboratory clusters.

HScore: Fardet L, Galicier L, Lambotte O et al. Development and validation of
the HScore, a score for the diagnosis of reactive hemophagocytic syndrome.
Arthritis Rheumatol 2014;66(9):2613-20, doi:10.1002/art.38690. Item points
checked against the abstract and the table reproduced in PMC7589537 (Tab4).

HScore probability: the paper derives a probability from the score by
logistic regression and its abstract states the anchors "< 1 % with an HScore
<= 90 to > 99 % with an HScore >= 250". We could NOT verify the published
logistic coefficients (searches found only third-party calculators that
disagree with each other and with those anchors), so we do not invent them:
``hscore_probability_band`` returns the two verified anchors and ``None``
between them.
"""

from __future__ import annotations

from dataclasses import dataclass

from stromal.clinical.criteria import Criterion, Status, codes, from_bool, overall

COVID_CS_SOURCE = (
    "Caricchio R et al. Preliminary predictive criteria for COVID-19 cytokine storm. "
    "Ann Rheum Dis 2021;80(1):88-95. doi:10.1136/annrheumdis-2020-218323"
)
HSCORE_SOURCE = (
    "Fardet L et al. Development and validation of the HScore, a score for the diagnosis "
    "of reactive hemophagocytic syndrome. Arthritis Rheumatol 2014;66(9):2613-20. "
    "doi:10.1002/art.38690"
)

# (observation key, description, operator, threshold); ">" or "<" strictly.
_Item = tuple[str, str, str, float]
COVID_CS_CLUSTERS: dict[str, tuple[_Item, ...]] = {
    "cluster_1": (
        ("albumin_g_dl", "albumin < 2.8 g/dL", "<", 2.8),
        ("lymphocytes_pct", "lymphocytes < 10.2 %", "<", 10.2),
        ("neutrophils_10e3_per_ul", "neutrophils > 11.4 x10^3/µL", ">", 11.4),
    ),
    "cluster_2": (
        ("alt_u_l", "ALT > 60 U/L", ">", 60.0),
        ("ast_u_l", "AST > 87 U/L", ">", 87.0),
        ("d_dimer_ng_ml", "D-dimer > 4930 ng/mL", ">", 4930.0),
        ("ldh_u_l", "LDH > 416 U/L", ">", 416.0),
        ("troponin_i_ng_ml", "troponin I > 1.09 ng/mL", ">", 1.09),
    ),
    "cluster_3": (
        ("anion_gap_mmol_l", "anion gap < 6.8 mmol/L", "<", 6.8),
        ("chloride_mmol_l", "chloride > 106 mmol/L", ">", 106.0),
        ("potassium_mmol_l", "potassium > 4.9 mmol/L", ">", 4.9),
        ("bun_creatinine_ratio", "BUN:creatinine > 29", ">", 29.0),
    ),
}
_ENTRY_LABS: tuple[_Item, ...] = (
    ("ferritin_ng_ml", "ferritin > 250 ng/mL", ">", 250.0),
    ("crp_mg_dl", "CRP > 4.6 mg/dL", ">", 4.6),
)


def _holds(value: float, op: str, threshold: float) -> bool:
    return value > threshold if op == ">" else value < threshold


def _lab(item: _Item, obs: dict[str, float]) -> Criterion:
    key, text, op, threshold = item
    value = obs.get(key)
    if value is None:
        return Criterion(key, text, Status.MISSING)
    return Criterion(key, text, Status.MET if _holds(value, op, threshold) else Status.UNMET, value)


def _cluster(name: str, items: tuple[_Item, ...], obs: dict[str, float]) -> Criterion:
    results = [_lab(item, obs) for item in items]
    text = "at least one of: " + "; ".join(item[1] for item in items)
    met = [r.code for r in results if r.status is Status.MET]
    if met:
        return Criterion(name, text, Status.MET, met)
    if any(r.status is Status.MISSING for r in results):
        return Criterion(name, text, Status.MISSING)
    return Criterion(name, text, Status.UNMET, [])


@dataclass(frozen=True)
class CovidCsResult:
    meets: bool | None
    criteria: tuple[Criterion, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "meets": self.meets,
            "met": codes(self.criteria, Status.MET),
            "unmet": codes(self.criteria, Status.UNMET),
            "missing": codes(self.criteria, Status.MISSING),
            "criteria": [c.as_dict() for c in self.criteria],
            "source": COVID_CS_SOURCE,
        }


def covid_cytokine_storm(
    *,
    covid_confirmed: bool | None,
    ground_glass_opacities: bool | None,
    labs: dict[str, float],
) -> CovidCsResult:
    """COVID-CS: entry criteria and one item per cluster. ``labs`` maps
    observation keys (e.g. ``ferritin_ng_ml``) to values; absent keys are missing.

    A cluster is met as soon as one item is met, even if others are missing.
    """
    criteria = (
        from_bool("covid_confirmed", "COVID-19 signs/symptoms (± positive RT-PCR)", covid_confirmed),
        from_bool("ground_glass_opacities", "ground-glass opacities on HRCT or CXR", ground_glass_opacities),
        *(_lab(item, labs) for item in _ENTRY_LABS),
        *(_cluster(name, items, labs) for name, items in COVID_CS_CLUSTERS.items()),
    )
    return CovidCsResult(overall(criteria), criteria)


# --- HScore -----------------------------------------------------------------

HSCORE_DIAGNOSTIC_CUTOFF = 169  # sensitivity 93 %, specificity 86 % (Fardet 2014)


def hscore_temperature_points(temperature_c: float) -> int:
    """< 38.4: 0; 38.4-39.4: 33; > 39.4: 49."""
    if temperature_c < 38.4:
        return 0
    return 33 if temperature_c <= 39.4 else 49


def hscore_organomegaly_points(hepatomegaly: bool, splenomegaly: bool) -> int:
    """None 0; liver or spleen 23; both 38."""
    return {0: 0, 1: 23, 2: 38}[int(hepatomegaly) + int(splenomegaly)]


def hscore_cytopenia_points(
    hemoglobin_g_dl: float, wbc_10e3_per_ul: float, platelets_10e3_per_ul: float
) -> int:
    """Lineages with Hb <= 9.2 g/dL, WBC <= 5 x10^3/µL, platelets <= 110 x10^3/µL:
    0-1 lineage 0; 2 lineages 24; 3 lineages 34."""
    lineages = int(hemoglobin_g_dl <= 9.2) + int(wbc_10e3_per_ul <= 5.0) + int(platelets_10e3_per_ul <= 110.0)
    return {0: 0, 1: 0, 2: 24, 3: 34}[lineages]


def hscore_ferritin_points(ferritin_ng_ml: float) -> int:
    """< 2000: 0; 2000-6000: 35; > 6000: 50."""
    if ferritin_ng_ml < 2000:
        return 0
    return 35 if ferritin_ng_ml <= 6000 else 50


def hscore_triglyceride_points(triglycerides_mmol_l: float) -> int:
    """< 1.5: 0; 1.5-4: 44; > 4: 64."""
    if triglycerides_mmol_l < 1.5:
        return 0
    return 44 if triglycerides_mmol_l <= 4.0 else 64


def hscore_fibrinogen_points(fibrinogen_g_l: float) -> int:
    """> 2.5: 0; <= 2.5: 30."""
    return 30 if fibrinogen_g_l <= 2.5 else 0


def hscore_ast_points(ast_u_l: float) -> int:
    """< 30: 0; >= 30: 19."""
    return 19 if ast_u_l >= 30 else 0


def hscore_probability_band(score: int) -> str | None:
    """The probability anchors verified in the abstract; None in between (see module doc)."""
    if score <= 90:
        return "< 1 %"
    if score >= 250:
        return "> 99 %"
    return None


@dataclass(frozen=True)
class HScoreResult:
    score: int | None  # None unless all nine items are known
    partial_score: int
    components: dict[str, int]
    missing: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        band = hscore_probability_band(self.score) if self.score is not None else None
        return {
            "score": self.score,
            "partial_score": self.partial_score,
            "components": dict(self.components),
            "missing": list(self.missing),
            "probability_pct": None,
            "probability_band": band,
            "probability_note": (
                "Fardet 2014 logistic coefficients not verified; only the published anchors "
                "(<1 % at <= 90, >99 % at >= 250) are reported"
            ),
            "above_diagnostic_cutoff": (
                None if self.score is None else self.score >= HSCORE_DIAGNOSTIC_CUTOFF
            ),
            "source": HSCORE_SOURCE,
        }


def hscore(
    *,
    known_immunosuppression: bool | None,
    temperature_c: float | None,
    hepatomegaly: bool | None,
    splenomegaly: bool | None,
    hemoglobin_g_dl: float | None,
    wbc_10e3_per_ul: float | None,
    platelets_10e3_per_ul: float | None,
    ferritin_ng_ml: float | None,
    triglycerides_mmol_l: float | None,
    fibrinogen_g_l: float | None,
    ast_u_l: float | None,
    marrow_hemophagocytosis: bool | None,
) -> HScoreResult:
    """HScore (0-337). ``score`` only when every item is known; ``partial_score``
    sums the known items so a UI can show progress without implying a total."""
    components: dict[str, int] = {}
    missing: list[str] = []

    def add(name: str, points: int | None) -> None:
        if points is None:
            missing.append(name)
        else:
            components[name] = points

    add("immunosuppression", None if known_immunosuppression is None else 18 * known_immunosuppression)
    add("temperature", None if temperature_c is None else hscore_temperature_points(temperature_c))
    add(
        "organomegaly",
        None
        if hepatomegaly is None or splenomegaly is None
        else hscore_organomegaly_points(hepatomegaly, splenomegaly),
    )
    add(
        "cytopenias",
        None
        if hemoglobin_g_dl is None or wbc_10e3_per_ul is None or platelets_10e3_per_ul is None
        else hscore_cytopenia_points(hemoglobin_g_dl, wbc_10e3_per_ul, platelets_10e3_per_ul),
    )
    add("ferritin", None if ferritin_ng_ml is None else hscore_ferritin_points(ferritin_ng_ml))
    add(
        "triglycerides",
        None if triglycerides_mmol_l is None else hscore_triglyceride_points(triglycerides_mmol_l),
    )
    add("fibrinogen", None if fibrinogen_g_l is None else hscore_fibrinogen_points(fibrinogen_g_l))
    add("ast", None if ast_u_l is None else hscore_ast_points(ast_u_l))
    add(
        "marrow_hemophagocytosis",
        None if marrow_hemophagocytosis is None else 35 * marrow_hemophagocytosis,
    )
    partial = sum(components.values())
    return HScoreResult(None if missing else partial, partial, components, tuple(missing))
