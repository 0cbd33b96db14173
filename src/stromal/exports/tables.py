"""The exported tables: every variable described once (name, label, type, unit, allowed values),
and the rows of a chunk of patients, read with a few queries per chunk.

One description serves every format: ``data_dictionary.csv`` lists it, the CSV header
and the SPSS variable and value labels come from it, and so do the ODM ``ItemDef``s.
Pseudonymised rows carry the study id and days since enrolment (day 0, the Day 1
examination); the identifying variables (``identifying=True``) are written only in an
identified export.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce

from stromal.administrations.models import (
    ActionTaken,
    AdministrationSession,
    AdverseEvent,
    Outcome,
    Relatedness,
    SessionStatus,
    VitalSigns,
)
from stromal.clinical.instruments import INSTRUMENTS
from stromal.clinical.instruments.base import ItemKind
from stromal.examinations.fields import SECTIONS
from stromal.examinations.models import Assessment, Encounter, EncounterStatus, Observation
from stromal.followup.models import Discharge, FollowUpVisit, VisitStatus
from stromal.outcomes.cohort import (
    AETIOLOGY_CHOICES,
    SEVERITY_CHOICES,
    Cohort,
    PatientRow,
)
from stromal.outcomes.followup_adapter import (
    EVENT_OF_KIND,
    OBSERVATION_OUTCOMES,
    instrument_values,
    visit_at,
)
from stromal.patients.models import Patient
from stromal.plans.models import Decision, PatientDecision, PlanStatus
from stromal.products.models import ProductType


class VarType(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "yesno"
    CHOICE = "dropdown"
    DATE = "date"


@dataclass(frozen=True)
class Variable:
    """One column: ``name`` (units in it where it has one), label, type, unit, allowed values."""

    name: str
    label: str
    type: VarType = VarType.TEXT
    unit: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    identifying: bool = False
    minimum: float | None = None
    maximum: float | None = None

    def choices_text(self) -> str:
        """REDCap's choices column: ``code, label | code, label``."""
        if self.type is VarType.BOOLEAN:
            return "1, Yes | 0, No"
        return " | ".join(f"{code}, {label}" for code, label in self.choices)


def _choices(pairs: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(code), str(label)) for code, label in pairs)


STUDY_ID = Variable("study_id", "Study id (pseudonym: site code and number)")
DAY = "days since enrolment"
YES = VarType.BOOLEAN
SEVERITY = _choices(SEVERITY_CHOICES)


@dataclass
class Chunk:
    """A chunk of the cohort's patients being exported, with what every table needs of them."""

    cohort: Cohort
    rows: Sequence[PatientRow]
    identified: bool

    def __post_init__(self) -> None:
        self.ids = [r.pk for r in self.rows]
        self.by_id = {r.pk: r for r in self.rows}
        self.zones: dict[int, ZoneInfo] = {}

    def day(self, pid: int, when: dt.datetime | dt.date | None) -> int | None:
        row = self.by_id[pid]
        return row.day(self.cohort.local_date(row.site_id, when))


@dataclass(frozen=True)
class TableSpec:
    """A table: its variables (identifying ones dropped from pseudonymised exports) and its rows."""

    name: str
    label: str
    variables: tuple[Variable, ...]
    rows: Callable[[Chunk], Iterator[tuple[int, list[Any]]]]
    repeating: bool = True

    def columns(self, identified: bool) -> list[Variable]:
        return [v for v in self.variables if identified or not v.identifying]

    def select(self, identified: bool) -> Callable[[list[Any]], list[Any]]:
        """From a full row (every variable), the values of ``columns(identified)``."""
        if identified:
            return lambda row: row
        keep = [i for i, v in enumerate(self.variables) if not v.identifying]
        return lambda row: [row[i] for i in keep]


# --- patients.csv -------------------------------------------------------------------------------

PATIENT_VARIABLES = (
    STUDY_ID,
    Variable("site", "Site code"),
    Variable("sex", "Sex", VarType.CHOICE, choices=(("female", "Female"), ("male", "Male"))),
    Variable("age_at_enrolment_years", "Age at enrolment", VarType.INTEGER, "years", minimum=0, maximum=120),
    Variable("height_cm", "Height", VarType.NUMBER, "cm", minimum=100, maximum=250),
    Variable("protocol", "Protocol code of the current plan"),
    Variable("protocol_version", "Protocol version of the current plan"),
    Variable("arm", "Arm of the current plan"),
    Variable(
        "plan_status", "Status of the current plan", VarType.CHOICE, choices=_choices(PlanStatus.choices)
    ),
    Variable(
        "decision",
        "The patient's latest decision on the plan",
        VarType.CHOICE,
        choices=_choices(Decision.choices),
    ),
    Variable("berlin_day1", "Berlin definition at Day 1", VarType.CHOICE, choices=SEVERITY),
    Variable("global_day1", "Global definition at Day 1", VarType.CHOICE, choices=SEVERITY),
    Variable(
        "aetiology", "Main ARDS risk factor (aetiology)", VarType.CHOICE, choices=_choices(AETIOLOGY_CHOICES)
    ),
    Variable("first_administration_day", "First administration started", VarType.INTEGER, DAY),
    Variable("administrations_given", "Administrations started", VarType.INTEGER, "administrations"),
    Variable("discharge_day", "Discharge", VarType.INTEGER, DAY),
    Variable("died", "Died", YES),
    Variable("death_day", "Death", VarType.INTEGER, DAY),
    Variable("death_source", "Where the death is known from"),
    Variable("last_contact_day", "Last contact (alive or dead)", VarType.INTEGER, DAY),
    Variable("synthetic", "Invented demo or benchmark data", YES),
    Variable("mrn", "Medical record number", identifying=True),
    Variable("given_name", "Given name", identifying=True),
    Variable("family_name", "Family name", identifying=True),
    Variable("date_of_birth", "Date of birth", VarType.DATE, identifying=True),
    Variable("email", "E-mail", identifying=True),
    Variable("phone", "Phone", identifying=True),
    Variable(
        "enrolment_date", "Date of enrolment (Day 1 examination; day 0)", VarType.DATE, identifying=True
    ),
)


def _patients(chunk: Chunk) -> Iterator[tuple[int, list[Any]]]:
    ids = chunk.ids
    decisions: dict[int, str] = {}
    for pid, decision in (
        PatientDecision.objects.filter(plan__patient_id__in=ids)
        .order_by("decided_at", "id")
        .values_list("plan__patient_id", "decision")
    ):
        decisions[pid] = decision
    first_start: dict[int, dt.datetime] = {}
    given: dict[int, int] = defaultdict(int)
    for pid, started in (
        AdministrationSession.objects.filter(patient_id__in=ids, started_at__isnull=False)
        .order_by("started_at")
        .values_list("patient_id", "started_at")
    ):
        if started is not None:
            first_start.setdefault(pid, started)
        given[pid] += 1
    discharged: dict[int, dt.datetime] = {}
    for pid, at in (
        Discharge.objects.filter(patient_id__in=ids)
        .order_by("discharged_at")
        .values_list("patient_id", "discharged_at")
    ):
        discharged.setdefault(pid, at)
    identity: dict[int, tuple[Any, ...]] = {}
    if chunk.identified:
        identity = {
            p[0]: p[1:]
            for p in Patient.objects.filter(pk__in=ids).values_list(
                "pk", "mrn", "given_name", "family_name", "date_of_birth", "email", "phone"
            )
        }
    for row in chunk.rows:
        pid = row.pk
        person = identity.get(pid, ("",) * 6)
        yield (
            pid,
            [
                row.study_id,
                row.site_code,
                row.sex,
                row.age_years,
                row.height_cm,
                row.protocol_code,
                row.protocol_version,
                row.arm,
                row.plan_status,
                decisions.get(pid, ""),
                row.berlin,
                row.global_definition,
                row.aetiology,
                chunk.day(pid, first_start.get(pid)),
                given.get(pid, 0),
                chunk.day(pid, discharged.get(pid)),
                row.death is not None,
                row.day(row.death.on) if row.death else None,
                row.death.source if row.death else "",
                row.day(chunk.cohort.last_contact.get(pid, row.enrolment)),
                row.synthetic,
                *person,
                row.enrolment,
            ],
        )


# --- visits.csv ---------------------------------------------------------------------------------

VISIT_VARIABLES = (
    STUDY_ID,
    Variable("visit_code", "Visit code (protocol)"),
    Variable("visit_name", "Visit"),
    Variable("day_offset", "Nominal day of the visit", VarType.INTEGER, DAY),
    Variable("target_day", "Target date", VarType.INTEGER, DAY),
    Variable("window_start_day", "Window opens", VarType.INTEGER, DAY),
    Variable("window_end_day", "Window closes", VarType.INTEGER, DAY),
    Variable("status", "Status", VarType.CHOICE, choices=_choices(VisitStatus.choices)),
    Variable("completed_day", "Done on", VarType.INTEGER, DAY),
    Variable("out_of_window", "Done outside its window", YES),
    Variable("notes", "Notes (the reason when missed)", identifying=True),
)


def _visits(chunk: Chunk) -> Iterator[tuple[int, list[Any]]]:
    for pid, code, name, offset, target, start, end, status, done, out, notes in (
        FollowUpVisit.objects.filter(patient_id__in=chunk.ids)
        .order_by("patient_id", "target_date", "id")
        .values_list(
            "patient_id",
            "code",
            "name",
            "day_offset",
            "target_date",
            "window_start",
            "window_end",
            "status",
            "completed_on",
            "out_of_window",
            "notes",
        )
    ):
        row = chunk.by_id[pid]
        yield (
            pid,
            [
                row.study_id,
                code,
                name,
                offset,
                row.day(target),
                row.day(start),
                row.day(end),
                status,
                row.day(done),
                out,
                notes,
            ],
        )


# --- administrations.csv -----------------------------------------------------------------------

ADMINISTRATION_VARIABLES = (
    STUDY_ID,
    Variable("administration", "Administration number of the plan", VarType.INTEGER),
    Variable("protocol", "Protocol code"),
    Variable("protocol_version", "Protocol version"),
    Variable("arm", "Arm"),
    Variable("protocol_day", "Protocol day", VarType.INTEGER, "day"),
    Variable("scheduled_day", "Scheduled", VarType.INTEGER, DAY),
    Variable("route", "Route", VarType.CHOICE, choices=(("iv", "Intravenous"), ("inhaled", "Inhaled"))),
    Variable("status", "Status", VarType.CHOICE, choices=_choices(SessionStatus.choices)),
    Variable("product_type", "Product type", VarType.CHOICE, choices=_choices(ProductType.choices)),
    # The donation number is on the unit's label and in the clinic's records: it links back to the
    # donation and the recipient, so it is identifying (the pseudonymised FHIR export drops it too).
    Variable(
        "unit_din", "Unit (ISBT 128 donation identification number and check character)", identifying=True
    ),
    Variable("donor_code", "Donor (pseudonymous code)"),
    Variable("viability_pct", "Viability of the unit", VarType.NUMBER, "%", minimum=0, maximum=100),
    Variable("volume_given_ml", "Volume given", VarType.NUMBER, "mL"),
    Variable("cells_given", "Cells given", VarType.NUMBER, "cells"),
    Variable("particles_given", "Particles given", VarType.NUMBER, "particles"),
    Variable("start_day", "Started", VarType.INTEGER, DAY),
    Variable("duration_min", "Duration (start to end)", VarType.NUMBER, "min"),
    Variable("stopped_by_rule", "Stopped by a stopping rule", YES),
    Variable("stopping_rule_ids", "Stopping rules hit (ids, ';'-separated)"),
    Variable("stop_reason", "Reason for a stop or a cancellation", identifying=True),
)


def _administrations(chunk: Chunk) -> Iterator[tuple[int, list[Any]]]:
    for s in (
        AdministrationSession.objects.filter(patient_id__in=chunk.ids)
        .order_by("patient_id", "scheduled_date", "sequence", "id")
        .values(
            "patient_id",
            "sequence",
            "plan__protocol_version__code",
            "plan__protocol_version__version",
            "plan__arm_name",
            "protocol_day",
            "scheduled_date",
            "route",
            "status",
            "product__product_type",
            "product__din",
            "product__din_check",
            "product__donor_code",
            "product__viability_pct",
            "volume_given_ml",
            "cells_given",
            "particles_given",
            "started_at",
            "ended_at",
            "stopping_hits",
            "stop_reason",
        )
    ):
        pid = s["patient_id"]
        row = chunk.by_id[pid]
        start, end = s["started_at"], s["ended_at"]
        hits = [str(h.get("rule_id", "")) for h in s["stopping_hits"] or [] if isinstance(h, dict)]
        yield (
            pid,
            [
                row.study_id,
                s["sequence"],
                s["plan__protocol_version__code"],
                s["plan__protocol_version__version"],
                s["plan__arm_name"],
                s["protocol_day"],
                row.day(s["scheduled_date"]),
                s["route"],
                s["status"],
                s["product__product_type"] or "",
                f"{s['product__din']}{s['product__din_check']}" if s["product__din"] else "",
                s["product__donor_code"] or "",
                s["product__viability_pct"],
                s["volume_given_ml"],
                s["cells_given"],
                s["particles_given"],
                chunk.day(pid, start),
                round((end - start).total_seconds() / 60, 1) if start and end else None,
                s["status"] == SessionStatus.STOPPED,
                ";".join(hits),
                s["stop_reason"],
            ],
        )


# --- adverse_events.csv ------------------------------------------------------------------------

AE_VARIABLES = (
    STUDY_ID,
    Variable("ae_number", "Adverse event number of the patient (by onset)", VarType.INTEGER),
    Variable("administration", "Administration it followed (number; empty: none)", VarType.INTEGER),
    Variable("term", "Adverse event term"),
    Variable("onset_day", "Onset", VarType.INTEGER, DAY),
    Variable("ctcae_grade", "CTCAE grade", VarType.INTEGER, "grade", minimum=1, maximum=5),
    Variable("serious", "Serious (ICH E2A)", YES),
    Variable("seriousness_criteria", "Seriousness criteria (';'-separated)"),
    Variable(
        "relatedness", "Relatedness to the product", VarType.CHOICE, choices=_choices(Relatedness.choices)
    ),
    Variable("outcome", "Outcome", VarType.CHOICE, choices=_choices(Outcome.choices)),
    Variable("action_taken", "Action taken", VarType.CHOICE, choices=_choices(ActionTaken.choices)),
    Variable("from_stopping_rule", "Raised by a stopping rule", YES),
    Variable("stopping_rule_ids", "Stopping rules (ids, ';'-separated)"),
    Variable("description", "Description", identifying=True),
)


def _adverse_events(chunk: Chunk) -> Iterator[tuple[int, list[Any]]]:
    number: dict[int, int] = defaultdict(int)
    for e in (
        AdverseEvent.objects.filter(patient_id__in=chunk.ids)
        .order_by("patient_id", "onset_at", "id")
        .values(
            "patient_id",
            "session__sequence",
            "term",
            "onset_at",
            "ctcae_grade",
            "serious",
            "seriousness_criteria",
            "relatedness",
            "outcome",
            "action_taken",
            "from_stopping_rule",
            "stopping_rule_ids",
            "description",
        )
    ):
        pid = e["patient_id"]
        number[pid] += 1
        yield (
            pid,
            [
                chunk.by_id[pid].study_id,
                number[pid],
                e["session__sequence"],
                e["term"],
                chunk.day(pid, e["onset_at"]),
                e["ctcae_grade"],
                e["serious"],
                ";".join(str(c) for c in e["seriousness_criteria"] or []),
                e["relatedness"],
                e["outcome"],
                e["action_taken"],
                e["from_stopping_rule"],
                ";".join(str(c) for c in e["stopping_rule_ids"] or []),
                e["description"],
            ],
        )


# --- observations_long.csv ---------------------------------------------------------------------

OBSERVATION_VARIABLES = (
    STUDY_ID,
    Variable("event", "Event: day1, discharge, a follow-up visit code, administration_N, unscheduled"),
    Variable(
        "instrument",
        "Instrument or form (examination section, assessment, infusion_vitals, outcome instrument)",
    ),
    Variable("item", "Item (units in the name where it has one)"),
    Variable("value", "Value, when a number (yes/no as 1/0)", VarType.NUMBER),
    Variable("value_text", "Value, when coded or text"),
    Variable("unit", "Unit"),
    Variable("day", "When", VarType.INTEGER, DAY),
    Variable("minute", "Minutes since the administration's start (infusion vitals)", VarType.NUMBER, "min"),
    Variable("version", "Rule or equation version that computed it (empty: as recorded)"),
)
#: Examination observation key -> its form section (``examinations.fields``).
SECTION_OF = {spec.name: code for code, _, specs in SECTIONS for spec in specs}
#: Derived values stored with each examination's assessment: item -> (JSON path, unit).
ASSESSMENT_ITEMS: dict[str, tuple[str, str]] = {
    "pf_ratio": ("results__pf_ratio", "mmHg"),
    "sf_ratio": ("results__sf_ratio", ""),
    "oxygenation_index": ("results__oxygenation_index", ""),
    "predicted_body_weight_kg": ("results__predicted_body_weight_kg", "kg"),
    "berlin_meets": ("results__berlin__meets", ""),
    "berlin_severity": ("results__berlin__severity", ""),
    "global_meets": ("results__global_definition__meets", ""),
    "global_category": ("results__global_definition__category", ""),
    "global_severity": ("results__global_definition__severity", ""),
    "murray_score": ("results__murray__score", "points"),
    "sofa_total": ("results__sofa__total", "points"),
    "hscore": ("results__hscore__score", "points"),
}


def _value(value: Any) -> tuple[float | None, str]:
    """(number, text) of a stored value: booleans as 1/0, numbers as numbers, the rest as text."""
    if value.__class__ is float:  # most values: the checks below would give the same
        return value, ""
    if value is None or value == "" or value == "null":  # "null": a JSON null read as text
        return None, ""
    if isinstance(value, bool):
        return float(value), ""
    if isinstance(value, int | float):
        return float(value), ""
    text = str(value)
    if text.lower() in ("true", "false"):
        return float(text.lower() == "true"), ""
    try:
        return float(text), ""
    except ValueError:
        return None, text


#: (instrument, item) -> the item's kind, for what a pseudonymised export must not carry as entered.
INSTRUMENT_ITEM_KINDS: dict[tuple[str, str], ItemKind] = {
    (code, item.name): item.kind for code, instrument in INSTRUMENTS.items() for item in instrument.items
}


def _date_or_none(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _observations(chunk: Chunk) -> Iterator[tuple[int, list[Any]]]:
    ids = chunk.ids
    out: list[tuple[int, tuple[Any, ...], list[Any]]] = []
    visits: dict[int, list[tuple[str, dt.date, dt.date]]] = defaultdict(list)
    for pid, code, start, end in FollowUpVisit.objects.filter(patient_id__in=ids).values_list(
        "patient_id", "code", "window_start", "window_end"
    ):
        visits[pid].append((code, start, end))
    encounters: dict[int, tuple[int, str, int | None]] = {}
    for enc_id, pid, kind, when in (
        Encounter.objects.filter(patient_id__in=ids)
        .exclude(status=EncounterStatus.SCHEDULED)
        .annotate(when=Coalesce("opened_at", "scheduled_for"))
        .values_list("id", "patient_id", "kind", "when")
    ):
        row = chunk.by_id[pid]
        local = chunk.cohort.local_date(row.site_id, when)
        event = EVENT_OF_KIND.get(kind)
        if event is None and local is not None:
            event = visit_at(visits[pid], local)
        encounters[enc_id] = (pid, event or "", row.day(local))

    def add(
        pid: int,
        event: str,
        instrument: str,
        item: str,
        value: Any,
        unit: str,
        day: int | None,
        minute: float | None = None,
        version: str = "",
    ) -> None:
        number, text = _value(value)
        if number is None and not text:
            return
        row = chunk.by_id[pid]
        out.append(
            (
                pid,
                (day if day is not None else 0, event, instrument, item, minute or 0),
                [row.study_id, event, instrument, item, number, text, unit, day, minute, version],
            )
        )

    for enc_id, key, number, boolean, text, unit in (
        Observation.objects.filter(encounter__patient_id__in=ids, current=True)
        .exclude(encounter__status=EncounterStatus.SCHEDULED)
        .exclude(key__in=OBSERVATION_OUTCOMES)
        .values_list("encounter_id", "key", "value_number", "value_boolean", "value_text", "unit")
    ):
        pid, event, day = encounters[enc_id]
        value = boolean if boolean is not None else (number if number is not None else text)
        add(pid, event, SECTION_OF.get(key, "examination"), key, value, unit, day)
    latest: dict[int, tuple[Any, ...]] = {}
    for values in (
        Assessment.objects.filter(encounter__patient_id__in=ids)
        .exclude(encounter__status=EncounterStatus.SCHEDULED)
        .order_by("encounter_id", "sequence")
        .values_list("encounter_id", "rules_version", *(KT(path) for path, _ in ASSESSMENT_ITEMS.values()))
    ):
        latest[values[0]] = values[1:]
    for enc_id, (version, *results) in latest.items():
        pid, event, day = encounters[enc_id]
        for (item, (_, unit)), value in zip(ASSESSMENT_ITEMS.items(), results, strict=True):
            add(pid, event, "assessment", item, value, unit, day, version=version)
    for pid, seq, taken, minute, values in VitalSigns.objects.filter(session__patient_id__in=ids).values_list(
        "session__patient_id", "session__sequence", "taken_at", "minutes_since_start", "values"
    ):
        for item, value in sorted((values or {}).items()):
            if isinstance(value, bool | int | float | str):
                add(
                    pid,
                    f"administration_{seq}",
                    "infusion_vitals",
                    item,
                    value,
                    "",
                    chunk.day(pid, taken),
                    minute,
                )
    for v in instrument_values(patient_ids=ids):
        answer: Any = v.value if v.value is not None else v.value_text
        answer_unit = v.unit
        item_kind = INSTRUMENT_ITEM_KINDS.get((v.instrument, v.item))
        if not chunk.identified and item_kind is ItemKind.TEXT:
            continue  # free text may name people: identified exports only
        if not chunk.identified and item_kind is ItemKind.DATE:
            # A calendar date (of death, of a CT, of the return to work) as days since enrolment.
            answer, answer_unit = chunk.by_id[v.patient_id].day(_date_or_none(answer)), DAY
        add(
            v.patient_id,
            v.event,
            v.instrument,
            v.item,
            answer,
            answer_unit,
            chunk.by_id[v.patient_id].day(v.on),
            version=v.version,
        )
    out.sort(key=itemgetter(0, 1))
    for pid, _, row_values in out:
        yield pid, row_values


TABLES: tuple[TableSpec, ...] = (
    TableSpec("patients", "One row per patient", PATIENT_VARIABLES, _patients, repeating=False),
    TableSpec("visits", "Follow-up visits", VISIT_VARIABLES, _visits),
    TableSpec("administrations", "Administrations", ADMINISTRATION_VARIABLES, _administrations),
    TableSpec("adverse_events", "Adverse events", AE_VARIABLES, _adverse_events),
    TableSpec("observations_long", "Every recorded value, one per row", OBSERVATION_VARIABLES, _observations),
)

#: The columns of ``data_dictionary.csv`` (close to REDCap's data dictionary).
DICTIONARY_COLUMNS = (
    "variable_name",
    "form_name",
    "field_type",
    "field_label",
    "choices",
    "unit",
    "text_validation_min",
    "text_validation_max",
    "identifier",
)


def dictionary_rows(identified: bool) -> Iterator[list[Any]]:
    """One row per variable of every exported table (identifying ones only in an identified export)."""
    for table in TABLES:
        for v in table.columns(identified):
            yield [
                v.name,
                table.name,
                v.type.value,
                v.label,
                v.choices_text(),
                v.unit,
                "" if v.minimum is None else v.minimum,
                "" if v.maximum is None else v.maximum,
                "y" if v.identifying else "",
            ]
