"""Extension point: what other apps add to a follow-up visit in the API and in FHIR.

The follow-up app's instruments (questionnaires, tests) answered at visits are
shown this way (``instruments``, ``stromal.followup.api_sections``). Another kind of
record adds one entry to ``VISIT_SECTIONS``: a name (the
key under ``sections`` of every visit in ``/api/v1/followup-visits``) and the
dotted path of a function that takes the visits of one page and returns, for
each visit id, a list of JSON-ready items, e.g.::

    VISIT_SECTIONS = {"instruments": "stromal.followup.api_sections.instrument_responses"}

    def instrument_responses(visits: Sequence[FollowUpVisit]) -> Mapping[int, list[dict[str, Any]]]:
        ...  # one query for the whole page, not one per visit

The FHIR side has the same kind of registry (``stromal.fhir.mappers.MAPPERS``):
a module that turns a patient's course into resources (for instruments,
QuestionnaireResponse or Observation resources referring to the visit's
Encounter, ``Encounter/visit-<id>``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.utils.module_loading import import_string

from stromal.followup.models import FollowUpVisit

VisitSection = Callable[[Sequence[FollowUpVisit]], Mapping[int, list[dict[str, Any]]]]

#: section name -> dotted path of its provider (see the module docstring).
VISIT_SECTIONS: dict[str, str] = {"instruments": "stromal.followup.api_sections.instrument_responses"}


def visit_sections(visits: Sequence[FollowUpVisit]) -> dict[int, dict[str, list[dict[str, Any]]]]:
    """For each visit id, every registered section's items (an empty list where a section has none)."""
    out: dict[int, dict[str, list[dict[str, Any]]]] = {v.pk: {} for v in visits}
    for name, path in VISIT_SECTIONS.items():
        provider: VisitSection = import_string(path)
        found = provider(visits)
        for visit in visits:
            out[visit.pk][name] = list(found.get(visit.pk, []))
    return out
