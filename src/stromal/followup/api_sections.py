"""The follow-up instruments of each visit as the REST API shows them (``/api/v1/followup-visits``).

Registered in ``stromal.api.extensions.VISIT_SECTIONS`` under ``instruments``: for each
visit of a page, one item per instrument recorded there, in instrument order:

* done: ``{"instrument", "instrument_version", "status": "done", "answers", "scores",
  "scoring": {"name", "version", "problem"}, "subject", "recorded_at", "recorded_by"
  (username), "version"}``: the answers as entered (with their units in the item names), the derived
  scores with the equation's name and version, and the subject they were scored against;
* not done: ``{"instrument", "status": "not_done", "reason", "recorded_at", "recorded_by",
  "version"}``.

Two queries for the whole page, not one per visit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from stromal.followup.models import FollowUpVisit, InstrumentNotDone, InstrumentResponse


def instrument_responses(visits: Sequence[FollowUpVisit]) -> Mapping[int, list[dict[str, Any]]]:
    """visit id -> its instrument items (see the module docstring); visits with none are absent."""
    ids = [v.pk for v in visits]
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in (
        InstrumentResponse.objects.filter(visit_id__in=ids)
        .select_related("recorded_by")
        .order_by("visit_id", "instrument_code", "id")
    ):
        out[r.visit_id].append(
            {
                "instrument": r.instrument_code,
                "instrument_version": r.instrument_version,
                "status": "done",
                "answers": r.answers,
                "scores": r.scores,
                "scoring": {
                    "name": r.scoring_name,
                    "version": r.scoring_version,
                    "problem": r.scoring_problem,
                },
                "subject": r.subject,
                "recorded_at": r.recorded_at.isoformat(),
                "recorded_by": r.recorded_by.username,
                "version": r.version,
            }
        )
    for n in (
        InstrumentNotDone.objects.filter(visit_id__in=ids)
        .select_related("recorded_by")
        .order_by("visit_id", "instrument_code", "id")
    ):
        out[n.visit_id].append(
            {
                "instrument": n.instrument_code,
                "status": "not_done",
                "reason": n.reason,
                "recorded_at": n.recorded_at.isoformat(),
                "recorded_by": n.recorded_by.username,
                "version": n.version,
            }
        )
    return out
