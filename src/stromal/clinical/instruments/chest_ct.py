"""Chest CT at follow-up: fibrotic-like changes and their extent.

"Fibrotic-like changes" is the term of the six-month follow-up CT study of
Han X, Fan Y, Alwalid O, et al. Six-month follow-up chest CT findings after
severe COVID-19 pneumonia. Radiology 2021;299(1):E177-E186,
doi:10.1148/radiol.2021203153; the radiologist records whether they are
present (for example traction bronchiectasis, parenchymal bands or
honeycombing) and their extent, as a percentage of lung volume, as the number
of lobes involved (of five), or both; at least one is needed when changes are
present. No score is computed.
"""

from __future__ import annotations

from collections.abc import Mapping

from stromal.clinical.instruments.base import (
    Condition,
    Instrument,
    Item,
    ItemKind,
    ScoreValue,
    Subject,
    Value,
    iso_date,
)
from stromal.clinical.validation import ClinicalInputError

EXTENT_NEEDED = "give the extent as ct_fibrosis_extent_pct, ct_fibrosis_lobes or both"

_FIBROTIC = Condition("ct_fibrotic_like_changes", "==", True)


def _extent_given(answers: Mapping[str, Value]) -> ClinicalInputError | None:
    if answers.get("ct_fibrotic_like_changes") is True and not (
        "ct_fibrosis_extent_pct" in answers or "ct_fibrosis_lobes" in answers
    ):
        return ClinicalInputError("ct_fibrosis_extent_pct", None, EXTENT_NEEDED)
    return None


def score(answers: Mapping[str, Value], subject: Subject | None) -> dict[str, ScoreValue]:
    """The findings as named results: ``ct_date``, ``fibrotic_like_changes``,
    ``extent_pct`` and ``lobes`` (None when not given)."""
    extent = answers.get("ct_fibrosis_extent_pct")
    lobes = answers.get("ct_fibrosis_lobes")
    return {
        "ct_date": iso_date(answers.get("ct_date")),
        "fibrotic_like_changes": answers["ct_fibrotic_like_changes"] is True,
        "ground_glass_opacities": answers.get("ct_ground_glass_opacities") is True,
        "extent_pct": float(extent)
        if isinstance(extent, int | float) and not isinstance(extent, bool)
        else None,
        "lobes": int(lobes) if isinstance(lobes, int) and not isinstance(lobes, bool) else None,
    }


INSTRUMENT = Instrument(
    code="chest_ct",
    version="1",
    title="Chest CT at follow-up",
    source=(
        "Han X, Fan Y, Alwalid O, et al. Six-month follow-up chest CT findings after severe COVID-19 "
        "pneumonia. Radiology 2021;299(1):E177-E186. doi:10.1148/radiol.2021203153"
    ),
    licence="Stromal's own form (Apache-2.0 with the code).",
    items=(
        Item("ct_date", ItemKind.DATE, "date of the CT scan"),
        Item(
            "ct_fibrotic_like_changes",
            ItemKind.BOOLEAN,
            "fibrotic-like changes (traction bronchiectasis, parenchymal bands, honeycombing)",
        ),
        Item(
            "ct_ground_glass_opacities", ItemKind.BOOLEAN, "residual ground-glass opacities", required=False
        ),
        Item(
            "ct_fibrosis_extent_pct",
            ItemKind.NUMBER,
            "extent of fibrotic-like changes, % of lung volume",
            "%",
            0,
            100,
            required=False,
            shown_when=_FIBROTIC,
        ),
        Item(
            "ct_fibrosis_lobes",
            ItemKind.INTEGER,
            "lobes with fibrotic-like changes",
            "lobes",
            1,
            5,
            required=False,
            shown_when=_FIBROTIC,
        ),
        Item("ct_report", ItemKind.TEXT, "radiologist's conclusion", required=False, max_length=2000),
    ),
    scorer=score,
    cross_checks=(_extent_given,),
)
