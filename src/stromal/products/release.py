"""Release criteria of a product lot: pure functions over the lot's results.

Sources (docs/clinical-reference.md §3 "MSC product identity and release
criteria"):
- Dominici M et al., Minimal criteria for defining multipotent mesenchymal
  stromal cells. The ISCT position statement. Cytotherapy 2006;8(4):315–7,
  doi:10.1080/14653240600855905 — ≥ 95 % CD105, CD73, CD90; ≤ 2 % CD45,
  CD34, CD14 or CD11b, CD79α or CD19, HLA-DR.
- Typical trial release specifications: viability ≥ 70 % (BM-MSC, Duke COVID
  phase I), sterility no growth at 7 days (USP <71>), mycoplasma negative,
  endotoxin below the product's limit (e.g. < 0.5 EU/mL).

Exosome (extracellular-vesicle) lots carry no cell-surface identity panel and
no viability; they are released on sterility, mycoplasma, endotoxin and a
particle count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

POSITIVE_MARKERS = ("cd105_pct", "cd73_pct", "cd90_pct")
NEGATIVE_MARKERS = ("cd45_pct", "cd34_pct", "cd14_cd11b_pct", "cd79a_cd19_pct", "hla_dr_pct")
POSITIVE_MIN_PCT = 95.0
NEGATIVE_MAX_PCT = 2.0
DEFAULT_VIABILITY_MIN_PCT = 70.0
DEFAULT_ENDOTOXIN_LIMIT_EU_PER_ML = 0.5

#: Endotoxin limit of each product type's specification (EU/mL), written on a lot at
#: receipt and never edited by the lab (issue #8): every type uses the typical trial
#: release specification above (< 0.5 EU/mL). A different limit is a change of this
#: specification (code review), not a lab entry.
ENDOTOXIN_LIMIT_EU_PER_ML_BY_PRODUCT_TYPE: Mapping[str, float] = {
    "uc_msc": DEFAULT_ENDOTOXIN_LIMIT_EU_PER_ML,
    "bm_msc": DEFAULT_ENDOTOXIN_LIMIT_EU_PER_ML,
    "ad_msc": DEFAULT_ENDOTOXIN_LIMIT_EU_PER_ML,
    "msc_exosome": DEFAULT_ENDOTOXIN_LIMIT_EU_PER_ML,
}


def specified_endotoxin_limit_eu_per_ml(product_type: str) -> float:
    """The endotoxin limit (EU/mL) of ``product_type``'s specification (the default for an unknown type)."""
    return ENDOTOXIN_LIMIT_EU_PER_ML_BY_PRODUCT_TYPE.get(product_type, DEFAULT_ENDOTOXIN_LIMIT_EU_PER_ML)


@dataclass(frozen=True)
class ReleaseFinding:
    field: str
    rule: str


def release_findings(
    *, is_exosome: bool, results: Mapping[str, object], viability_min_pct: float = DEFAULT_VIABILITY_MIN_PCT
) -> list[ReleaseFinding]:
    """Every release criterion the results fail or lack; empty means releasable.

    ``results`` holds sterility ("no_growth"/"growth"/"pending"), mycoplasma
    ("negative"/"positive"/"pending"), ``endotoxin_eu_per_ml``,
    ``endotoxin_limit_eu_per_ml``, ``viability_pct``, ``cell_count``,
    ``particle_count`` and the marker percentages.
    """
    out: list[ReleaseFinding] = []
    if results.get("sterility") != "no_growth":
        out.append(ReleaseFinding("sterility", "needs 'no growth at 7 days' (USP <71>)"))
    if results.get("mycoplasma") != "negative":
        out.append(ReleaseFinding("mycoplasma", "needs a negative mycoplasma test"))
    endotoxin = _number(results.get("endotoxin_eu_per_ml"))
    limit = _number(results.get("endotoxin_limit_eu_per_ml")) or DEFAULT_ENDOTOXIN_LIMIT_EU_PER_ML
    if endotoxin is None:
        out.append(ReleaseFinding("endotoxin_eu_per_ml", "endotoxin result missing"))
    elif endotoxin >= limit:
        out.append(ReleaseFinding("endotoxin_eu_per_ml", f"must be below {limit:g} EU/mL"))
    if is_exosome:
        if not _number(results.get("particle_count")):
            out.append(ReleaseFinding("particle_count", "an exosome lot needs a particle count"))
        return out
    if not _number(results.get("cell_count")):
        out.append(ReleaseFinding("cell_count", "a cell lot needs a viable cell count"))
    viability = _number(results.get("viability_pct"))
    if viability is None or viability < viability_min_pct:
        out.append(ReleaseFinding("viability_pct", f"must be at least {viability_min_pct:g} %"))
    for name in POSITIVE_MARKERS:
        value = _number(results.get(name))
        if value is None or value < POSITIVE_MIN_PCT:
            out.append(
                ReleaseFinding(name, f"ISCT identity: must be ≥ {POSITIVE_MIN_PCT:g} % (Dominici 2006)")
            )
    for name in NEGATIVE_MARKERS:
        value = _number(results.get(name))
        if value is None or value > NEGATIVE_MAX_PCT:
            out.append(
                ReleaseFinding(name, f"ISCT identity: must be ≤ {NEGATIVE_MAX_PCT:g} % (Dominici 2006)")
            )
    return out


def _number(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None
