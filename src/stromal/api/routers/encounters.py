"""Encounters (examinations) with their observations and assessments; recording observations.

A write goes through ``examinations.services`` exactly as the examination form
does: the same validation of every value (field, unit, range), results on a
scheduled or open encounter, an amendment with a reason (physicians) on a
closed one, the audit trail, the casebook lock, and one transaction — a
refused value saves nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from stromal.api.common import (
    DB_BIGINT_MAX,
    DateRange,
    PageMeta,
    PageQuery,
    RecordId,
    caller,
    dated,
    page,
    reader,
    username,
)
from stromal.audit.context import audit_source
from stromal.clinical.validation import Kind
from stromal.examinations.fields import SPECS
from stromal.examinations.models import (
    Amendment,
    Assessment,
    Encounter,
    EncounterKind,
    EncounterStatus,
    Observation,
)
from stromal.examinations.selectors import encounter_get
from stromal.examinations.services import current_values, encounter_amend, observations_record
from stromal.forms_clinical import DB_INT_MAX
from stromal.patients.guards import site_id_of

router = Router(tags=["encounters"])

REASON_FOR_CLOSED = "reason: this encounter is closed; a correction is an amendment and needs a reason."


class ObservationOut(Schema):
    id: int
    key: str = Field(description="the observation key, unit in its name (stromal.clinical.observations)")
    label: str
    value: float | bool | str
    unit: str
    current: bool = Field(description="false once a later value superseded (or removed) this one")
    recorded_at: dt.datetime
    recorded_by: str | None
    amendment_id: int | None


class AssessmentOut(Schema):
    id: int
    sequence: int
    rules_version: str = Field(description="stromal.clinical RULES_VERSION that computed it")
    computed_at: dt.datetime
    inputs: dict[str, Any]
    results: dict[str, Any]


class AmendmentOut(Schema):
    id: int
    reason: str
    amended_by: str | None
    amended_at: dt.datetime


class EncounterOut(Schema):
    id: int
    patient_id: int
    kind: str
    status: str
    scheduled_for: dt.datetime
    opened_at: dt.datetime | None
    closed_at: dt.datetime | None
    closed_by: str | None
    notes: str
    version: int
    observations: list[ObservationOut] = Field(description="the current value of each key")
    assessment: AssessmentOut | None = Field(description="the latest assessment snapshot")
    amendments: list[AmendmentOut]


class EncounterDetailOut(EncounterOut):
    observation_history: list[ObservationOut] = Field(description="every value ever recorded, oldest first")
    assessments: list[AssessmentOut] = Field(description="every assessment snapshot, oldest first")


class EncounterPage(PageMeta):
    items: list[EncounterOut]


class EncounterFilters(DateRange):
    patient_id: int | None = Field(None, ge=1, le=DB_BIGINT_MAX)
    status: EncounterStatus | None = None
    kind: EncounterKind | None = None


class ObservationsIn(Schema):
    values: dict[str, float | bool | str | None] = Field(
        description="observation key -> value (null: not measured, removes a recorded value)",
        examples=[{"crp_mg_dl": 12.5, "platelets_10e3_per_ul": 180}],
    )
    version: int | None = Field(
        None, ge=1, le=DB_INT_MAX, description="the encounter version you read (optimistic locking)"
    )
    reason: str = Field("", max_length=2000, description="required to amend a closed encounter")


class ObservationsRecorded(Schema):
    changed: dict[str, list[Any]] = Field(description="key -> [old, new] for every value that changed")
    amendment_id: int | None
    encounter: EncounterDetailOut


def _observation(o: Observation) -> dict[str, Any]:
    spec = SPECS.get(o.key)
    value: float | bool | str = o.value
    if spec is not None and spec.kind is Kind.INTEGER and isinstance(value, float):
        value = int(value)
    return {
        "id": o.pk,
        "key": o.key,
        "label": spec.display_label() if spec else o.key,
        "value": value,
        "unit": o.unit,
        "current": o.current,
        "recorded_at": o.recorded_at,
        "recorded_by": username(o.recorded_by),
        "amendment_id": o.amendment_id,
    }


def _assessment(a: Assessment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "sequence": a.sequence,
        "rules_version": a.rules_version,
        "computed_at": a.computed_at,
        "inputs": a.inputs,
        "results": a.results,
    }


def with_related(qs: Any) -> Any:
    return qs.select_related("closed_by").prefetch_related(
        Prefetch("observations", queryset=Observation.objects.select_related("recorded_by")),
        Prefetch("amendments", queryset=Amendment.objects.select_related("amended_by")),
        Prefetch("assessments", queryset=Assessment.objects.order_by("sequence")),
    )


def present(encounters: Sequence[Encounter], *, detail: bool = False) -> list[dict[str, Any]]:
    items = []
    for e in encounters:
        rows = sorted(e.observations.all(), key=lambda o: (o.recorded_at, o.pk))
        snapshots = list(e.assessments.all())
        item: dict[str, Any] = {
            "id": e.pk,
            "patient_id": e.patient_id,
            "kind": e.kind,
            "status": e.status,
            "scheduled_for": e.scheduled_for,
            "opened_at": e.opened_at,
            "closed_at": e.closed_at,
            "closed_by": username(e.closed_by),
            "notes": e.notes,
            "version": e.version,
            "observations": [_observation(o) for o in sorted(rows, key=lambda o: o.key) if o.current],
            "assessment": _assessment(snapshots[-1]) if snapshots else None,
            "amendments": [
                {
                    "id": a.pk,
                    "reason": a.reason,
                    "amended_by": username(a.amended_by),
                    "amended_at": a.amended_at,
                }
                for a in e.amendments.all()
            ],
        }
        if detail:
            item["observation_history"] = [_observation(o) for o in rows]
            item["assessments"] = [_assessment(a) for a in snapshots]
        items.append(item)
    return items


def _detail(request: HttpRequest, encounter_id: int) -> dict[str, Any]:
    user = reader(request)
    encounter = encounter_get(user=user, pk=encounter_id)
    return present(with_related(Encounter.objects.filter(pk=encounter.pk)), detail=True)[0]


@router.get("/encounters", response=EncounterPage, summary="List encounters")
def encounters(
    request: HttpRequest, filters: Query[EncounterFilters], paging: Query[PageQuery]
) -> dict[str, Any]:
    """Examinations and other encounters with their current observations and latest assessment;
    ``date_from``/``date_to`` filter on the scheduled date."""
    qs = Encounter.objects.filter(patient__site_id=site_id_of(reader(request)))
    if filters.patient_id is not None:
        qs = qs.filter(patient_id=filters.patient_id)
    if filters.status is not None:
        qs = qs.filter(status=filters.status)
    if filters.kind is not None:
        qs = qs.filter(kind=filters.kind)
    qs = with_related(dated(qs, "scheduled_for__date", filters).order_by("scheduled_for", "id"))
    return page(request, qs, paging, present)


@router.get("/encounters/{int:encounter_id}", response=EncounterDetailOut, summary="One encounter")
def encounter(request: HttpRequest, encounter_id: RecordId) -> dict[str, Any]:
    """The encounter with every observation ever recorded and every assessment snapshot."""
    return _detail(request, encounter_id)


@router.get(
    "/encounters/{int:encounter_id}/observations",
    response=list[ObservationOut],
    summary="An encounter's observation history",
)
def observation_history(request: HttpRequest, encounter_id: RecordId) -> list[dict[str, Any]]:
    history: list[dict[str, Any]] = _detail(request, encounter_id)["observation_history"]
    return history


@router.post(
    "/encounters/{int:encounter_id}/observations",
    response={200: ObservationsRecorded},
    summary="Record observations (e.g. laboratory results)",
)
def observations_post(request: HttpRequest, encounter_id: RecordId, body: ObservationsIn) -> dict[str, Any]:
    """Record values on an encounter, as the examination form does (physician, nurse, lab).

    A scheduled or open encounter takes the values directly. A closed encounter takes them only
    as an amendment: a physician, with ``reason``. Every value is checked against its field's rule
    (unit, range); one refused value refuses the whole request and nothing is saved. The values
    that changed are audited, and the assessments are recomputed with the current rules.
    """
    if request.content_type != "application/json":
        # ninja reads any body as JSON; a client that says it sends text must not have it stored.
        raise HttpError(415, "Send the body as JSON (Content-Type: application/json). Nothing was saved.")
    user = caller(request)
    encounter = encounter_get(user=user, pk=encounter_id)
    version = body.version if body.version is not None else encounter.version
    amendment_id = None
    with audit_source(f"api POST /api/v1/encounters/{encounter.pk}/observations"), transaction.atomic():
        if encounter.is_closed:
            if not body.reason.strip():
                raise ValidationError({"reason": REASON_FOR_CLOSED})
            before = current_values(encounter)
            amendment = encounter_amend(
                encounter=encounter, user=user, values=body.values, reason=body.reason, version=version
            )
            amendment_id = amendment.pk
            after = current_values(encounter)
            changed = {k: [before.get(k), after.get(k)] for k in sorted(set(before) | set(after))}
            changed = {k: pair for k, pair in changed.items() if pair[0] != pair[1]}
        else:
            changed = observations_record(encounter=encounter, user=user, values=body.values, version=version)
    return {"changed": changed, "amendment_id": amendment_id, "encounter": _detail(request, encounter.pk)}
