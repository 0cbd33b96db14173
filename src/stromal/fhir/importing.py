"""Import a Bundle of laboratory Observations for one patient: all or nothing, dry run on request.

Each Observation names its Encounter (``Encounter/enc-<id>`` as exported, or
``Encounter/<id>``) and is read as one examination value: Stromal's own code
(``OBSERVATION_SYSTEM``) or a LOINC code with a UCUM unit (``stromal.fhir.codes``)
gives the key; ``valueQuantity`` (in the key's unit, or the LOINC code's),
``valueBoolean`` or ``valueCodeableConcept`` the value. The values then go
through the examination services exactly as the form's do: the same checks of
unit and range, results on an open encounter, an amendment (a physician, with
``reason``) on a closed one, the audit trail, the casebook lock. Any refusal
refuses the whole Bundle, naming the entry and the field (FHIRPath); a dry run
does everything and then rolls it back. An ``effective[x]`` must fall on the
encounter's day (the site's time zone): a value is never re-dated silently.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError as PydanticValidationError

from stromal.accounts.models import User
from stromal.audit.context import audit_source
from stromal.clinical.validation import Kind
from stromal.examinations.fields import SPECS
from stromal.examinations.models import Encounter
from stromal.examinations.services import clean_values, encounter_amend, observations_record
from stromal.fhir.codes import CHOICE_SYSTEM, LOINC, LOINC_OF, OBSERVATION_SYSTEM, UCUM, ucum_of
from stromal.fhir.responses import Issue
from stromal.patients.models import Patient

BUNDLE_TYPES = ("collection", "batch", "transaction")
ACCEPTED_STATUS = ("final", "amended", "corrected", "preliminary")
ENCOUNTER_PREFIX = "enc-"


class ImportRefusedError(Exception):
    """The Bundle is refused; nothing was saved. ``issues`` name each entry and field."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        super().__init__("; ".join(i.diagnostics for i in issues))


@dataclass(frozen=True)
class Value:
    entry: int
    encounter: Encounter
    key: str
    value: float | int | bool | str


@dataclass
class ImportReport:
    dry_run: bool
    values: list[Value] = field(default_factory=list)
    changed: dict[int, dict[str, list[Any]]] = field(default_factory=dict)

    def issues(self) -> list[Issue]:
        verb = "would change" if self.dry_run else "changed"
        lines = [
            Issue(
                f"{v.key} = {v.value!r} on Encounter/{ENCOUNTER_PREFIX}{v.encounter.pk}: "
                + (
                    f"{verb} {self.changed[v.encounter.pk][v.key]}"
                    if v.key in self.changed.get(v.encounter.pk, {})
                    else "unchanged"
                ),
                code="informational",
                severity="information",
                expression=f"Bundle.entry[{v.entry}].resource",
            )
            for v in self.values
        ]
        total = sum(len(c) for c in self.changed.values())
        head = (
            f"Dry run: nothing was saved; {total} value(s) would change."
            if self.dry_run
            else f"{total} value(s) saved."
        )
        return [Issue(head, code="informational", severity="information"), *lines]


#: (LOINC code, UCUM code) -> observation key
KEY_OF_LOINC: dict[tuple[str, str], str] = {
    (loinc.code, loinc.ucum or ucum_of(key) or ""): key for key, loinc in LOINC_OF.items() if key in SPECS
}


def _path(loc: tuple[Any, ...]) -> str:
    text = "Bundle"
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _quantity_value(where: str, key: str, quantity: Mapping[str, Any]) -> float:
    """The number in the key's stored unit, or refused naming the unit."""
    if "value" not in quantity:
        raise ImportRefusedError(
            [Issue("valueQuantity has no value", expression=f"{where}.valueQuantity.value")]
        )
    number = float(quantity["value"])
    unit = quantity.get("code") or quantity.get("unit")
    if quantity.get("code") and quantity.get("system") not in (None, UCUM):
        raise ImportRefusedError(
            [Issue(f"the unit must be a UCUM code ({UCUM})", expression=f"{where}.valueQuantity.system")]
        )
    loinc = LOINC_OF.get(key)
    if loinc is not None and loinc.ucum is not None and unit == loinc.ucum:
        return number / loinc.factor
    expected = ucum_of(key)
    if unit is None or unit in (expected, SPECS[key].unit):
        return number
    raise ImportRefusedError(
        [
            Issue(
                f"{key} is recorded in {SPECS[key].unit} (UCUM {expected}); got {unit!r}",
                expression=f"{where}.valueQuantity.code",
            )
        ]
    )


def _key(where: str, resource: Mapping[str, Any]) -> str:
    codings = (resource.get("code") or {}).get("coding") or []
    quantity = resource.get("valueQuantity") or {}
    unit = quantity.get("code") or quantity.get("unit") or ""
    for coding in codings:
        if coding.get("system") == OBSERVATION_SYSTEM and coding.get("code") in SPECS:
            return str(coding["code"])
    for coding in codings:
        if coding.get("system") == LOINC and (coding.get("code"), unit) in KEY_OF_LOINC:
            return KEY_OF_LOINC[(coding["code"], unit)]
    shown = ", ".join(f"{c.get('system')}|{c.get('code')}" for c in codings) or "no coding"
    raise ImportRefusedError(
        [
            Issue(
                f"no examination value has the code {shown}"
                + (f" with the unit {unit!r}" if unit else "")
                + f"; use a LOINC code and UCUM unit this server maps, or {OBSERVATION_SYSTEM}|<key>",
                code="code-invalid",
                expression=f"{where}.code",
            )
        ]
    )


def _value(where: str, key: str, resource: Mapping[str, Any]) -> float | int | bool | str:
    spec = SPECS[key]
    if "valueQuantity" in resource and spec.kind in (Kind.NUMBER, Kind.INTEGER):
        return _quantity_value(where, key, resource["valueQuantity"])
    if "valueBoolean" in resource and spec.kind is Kind.BOOLEAN:
        return bool(resource["valueBoolean"])
    if "valueCodeableConcept" in resource and spec.kind is Kind.CHOICE:
        for coding in resource["valueCodeableConcept"].get("coding") or []:
            if coding.get("system") == f"{CHOICE_SYSTEM}:{key}":
                return str(coding.get("code"))
    kind = {Kind.NUMBER: "valueQuantity", Kind.INTEGER: "valueQuantity", Kind.BOOLEAN: "valueBoolean"}
    expected = kind.get(spec.kind, f"valueCodeableConcept coded in {CHOICE_SYSTEM}:{key}")
    raise ImportRefusedError([Issue(f"{key} needs {expected}", expression=f"{where}.value")])


def _encounter(where: str, patient: Patient, resource: Mapping[str, Any]) -> Encounter:
    reference = str((resource.get("encounter") or {}).get("reference") or "")
    kind, _, ident = reference.partition("/")
    ident = ident.removeprefix(ENCOUNTER_PREFIX)
    if kind != "Encounter" or not ident.isdigit() or len(ident) > 18:
        raise ImportRefusedError(
            [
                Issue(
                    "each Observation names its examination: Encounter/enc-<id>",
                    expression=f"{where}.encounter",
                )
            ]
        )
    encounter = (
        Encounter.objects.filter(pk=int(ident), patient=patient).select_related("patient__site").first()
    )
    if encounter is None:
        raise ImportRefusedError(
            [
                Issue(
                    f"{reference} is not an encounter of this patient",
                    code="not-found",
                    expression=f"{where}.encounter",
                )
            ]
        )
    return encounter


def _effective(where: str, encounter: Encounter, resource: Mapping[str, Any]) -> None:
    """A value is recorded at its encounter, at the encounter's time: a sample taken on another day
    belongs to another encounter. An ``effective[x]`` on another local day (the site's zone) is
    refused rather than silently re-dated; none at all is taken as the encounter's time."""
    field_name, text = next(
        (
            (name, str(value))
            for name, value in (
                ("effectiveDateTime", resource.get("effectiveDateTime")),
                ("effectiveInstant", resource.get("effectiveInstant")),
                ("effectivePeriod.start", (resource.get("effectivePeriod") or {}).get("start")),
            )
            if value
        ),
        ("", ""),
    )
    if not field_name:
        return
    zone = ZoneInfo(encounter.patient.site.time_zone)
    day_of_encounter = (encounter.opened_at or encounter.scheduled_for).astimezone(zone).date()
    try:
        day = (
            dt.date.fromisoformat(text)
            if len(text) == len("YYYY-MM-DD")
            else dt.datetime.fromisoformat(text).astimezone(zone).date()
        )
    except ValueError:
        raise ImportRefusedError(
            [
                Issue(
                    f"{field_name} must give the day (YYYY-MM-DD or a date-time); got {text!r}",
                    expression=f"{where}.{field_name}",
                )
            ]
        ) from None
    if day != day_of_encounter:
        raise ImportRefusedError(
            [
                Issue(
                    f"{field_name} {text} is not on the day of Encounter/{ENCOUNTER_PREFIX}{encounter.pk} "
                    f"({day_of_encounter.isoformat()}, {zone.key}): a value is recorded at the "
                    "examination of its day; send it to that encounter",
                    code="business-rule",
                    expression=f"{where}.{field_name}",
                )
            ]
        )


def _subject(where: str, patient: Patient, resource: Mapping[str, Any]) -> None:
    reference = (resource.get("subject") or {}).get("reference")
    if reference is not None and reference != f"Patient/{patient.pk}":
        raise ImportRefusedError(
            [Issue(f"the subject must be Patient/{patient.pk}", expression=f"{where}.subject")]
        )


def _read(patient: Patient, bundle: Mapping[str, Any]) -> list[Value]:
    """Every entry as a value, or every problem found at once."""
    try:
        Bundle.model_validate(bundle)
    except PydanticValidationError as exc:
        raise ImportRefusedError(
            [Issue(str(e["msg"]), code="structure", expression=_path(e["loc"])) for e in exc.errors()]
        ) from None
    if bundle.get("type") not in BUNDLE_TYPES:
        raise ImportRefusedError(
            [Issue(f"the Bundle type must be one of {', '.join(BUNDLE_TYPES)}", expression="Bundle.type")]
        )
    entries = bundle.get("entry") or []
    if not entries:
        raise ImportRefusedError([Issue("the Bundle has no entry", expression="Bundle.entry")])
    values: list[Value] = []
    issues: list[Issue] = []
    seen: set[tuple[int, str]] = set()
    for index, entry in enumerate(entries):
        where = f"Bundle.entry[{index}].resource"
        resource = entry.get("resource") or {}
        try:
            if resource.get("resourceType") != "Observation":
                raise ImportRefusedError(
                    [Issue("only Observation resources are imported", expression=f"{where}.resourceType")]
                )
            if resource.get("status") not in ACCEPTED_STATUS:
                raise ImportRefusedError(
                    [
                        Issue(
                            f"status must be one of {', '.join(ACCEPTED_STATUS)}",
                            expression=f"{where}.status",
                        )
                    ]
                )
            _subject(where, patient, resource)
            encounter = _encounter(where, patient, resource)
            _effective(where, encounter, resource)
            key = _key(where, resource)
            if (encounter.pk, key) in seen:
                raise ImportRefusedError(
                    [
                        Issue(
                            f"{key} appears twice for this encounter",
                            code="duplicate",
                            expression=f"{where}.code",
                        )
                    ]
                )
            seen.add((encounter.pk, key))
            values.append(Value(index, encounter, key, _value(where, key, resource)))
        except ImportRefusedError as refused:
            issues += refused.issues
    if issues:
        raise ImportRefusedError(issues)
    return values


def _by_encounter(values: list[Value]) -> dict[int, list[Value]]:
    groups: dict[int, list[Value]] = defaultdict(list)
    for v in values:
        groups[v.encounter.pk].append(v)
    return groups


def _service_issues(exc: ValidationError, group: list[Value]) -> list[Issue]:
    """A service refusal, each message at the entry of the value it refuses."""
    entry_of = {v.key: v.entry for v in group}
    if not hasattr(exc, "error_dict"):
        where = f"Bundle.entry[{group[0].entry}].resource.encounter"
        return [Issue(m, code="business-rule", expression=where) for m in exc.messages]
    issues = []
    for key, messages in exc.message_dict.items():
        index = entry_of.get(key, group[0].entry)
        path = (
            f"Bundle.entry[{index}].resource.value" if key in entry_of else f"Bundle.entry[{index}].resource"
        )
        issues += [
            Issue(f"{key}: {m}" if key not in m else m, code="business-rule", expression=path)
            for m in messages
        ]
    return issues


def lab_import(
    *,
    user: User,
    patient: Patient,
    bundle: Mapping[str, Any],
    dry_run: bool,
    reason: str = "",
    source: str = "",
) -> ImportReport:
    """Record every Observation of ``bundle`` on ``patient``'s encounters (the caller checked the site).

    Raises:
        ImportRefusedError: the entries and fields refused, nothing saved.
        PermissionDenied: the user's role may not enter results (or amend a closed encounter).
    """
    values = _read(patient, bundle)
    groups = _by_encounter(values)
    issues: list[Issue] = []
    for group in groups.values():  # every value checked before anything is written, so all are reported
        try:
            clean_values({v.key: v.value for v in group})
        except ValidationError as exc:
            issues += _service_issues(exc, group)
    if issues:
        raise ImportRefusedError(issues)
    report = ImportReport(dry_run=dry_run, values=values)
    with audit_source(source or "api FHIR lab import"), transaction.atomic():
        for group in groups.values():
            encounter = group[0].encounter
            given = {v.key: v.value for v in group}
            try:
                if encounter.is_closed:
                    if not reason.strip():
                        raise ValidationError(
                            f"Encounter/{ENCOUNTER_PREFIX}{encounter.pk} is closed: its results are corrected by an "
                            "amendment, which needs a reason (?reason=...) and a physician."
                        )
                    before = {o.key: o.value for o in encounter.observations.filter(current=True)}
                    encounter_amend(
                        encounter=encounter, user=user, values=given, reason=reason, version=encounter.version
                    )
                    after = {o.key: o.value for o in encounter.observations.filter(current=True)}
                    report.changed[encounter.pk] = {
                        k: [before.get(k), after.get(k)] for k in given if before.get(k) != after.get(k)
                    }
                else:
                    changes = observations_record(
                        encounter=encounter, user=user, values=given, version=encounter.version
                    )
                    report.changed[encounter.pk] = changes
            except ValidationError as exc:
                transaction.set_rollback(True)
                raise ImportRefusedError(_service_issues(exc, group)) from None
        if dry_run:
            transaction.set_rollback(True)
    return report
