"""The cohort: which patients an analysis is about, and the facts every page groups them by.

Day 0 of the registry (enrolment) is the date of the patient's Day 1 examination
(the first examination encounter, in the site's zone): it is the protocol's day 0
(``TreatmentPlan.start_date``), from which follow-up visits are scheduled. A patient
never examined is enrolled on the day the record was created. Every time an analysis
or an export shows is counted in days from that date.

A cohort is built from a handful of flat queries (one per fact, scoped to the
reader's sites) and filtered in memory: at 10,000 patients that is a few tens of
thousands of small rows, read once per page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Max, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, TruncDate
from django.http import Http404
from django.utils import timezone

from stromal.accounts.models import Site
from stromal.administrations.models import AdministrationSession, AdverseEvent
from stromal.examinations.fields import ARDS_RISK_FACTORS
from stromal.examinations.models import Assessment, Encounter, EncounterKind, EncounterStatus, Observation
from stromal.followup.models import Discharge, FollowUpVisit, VisitStatus
from stromal.outcomes.followup_adapter import Death, deaths
from stromal.outcomes.memo import remembered
from stromal.outcomes.scope import Scope
from stromal.patients.models import Patient
from stromal.plans.models import PlanStatus, TreatmentPlan

# Day 1 ARDS category (Berlin 2012, Global 2023 as stored with the examination's assessment).
SEVERITY_CHOICES: tuple[tuple[str, str], ...] = (
    ("mild", "Mild ARDS"),
    ("moderate", "Moderate ARDS"),
    ("severe", "Severe ARDS"),
    ("ungraded", "ARDS, severity not graded"),
    ("not_ards", "Criteria not met"),
    ("undetermined", "Undetermined (data missing)"),
    ("not_assessed", "No Day 1 assessment"),
)
NOT_RECORDED = "not_recorded"
AETIOLOGY_CHOICES: tuple[tuple[str, str], ...] = (*ARDS_RISK_FACTORS, (NOT_RECORDED, "Not recorded"))
#: Age at enrolment (whole years): (code, label, lowest, highest).
AGE_BANDS: tuple[tuple[str, str, int, int], ...] = (
    ("0-17", "Under 18", 0, 17),
    ("18-39", "18–39", 18, 39),
    ("40-59", "40–59", 40, 59),
    ("60-79", "60–79", 60, 79),
    ("80+", "80 and over", 80, 200),
)
VITAL_CHOICES: tuple[tuple[str, str], ...] = (("alive", "Alive at last contact"), ("dead", "Died"))
NO_PLAN = "no plan"
NO_SUCH_SITE = "No site has the code {code!r}."
LABELS: dict[str, dict[str, str]] = {
    "berlin": dict(SEVERITY_CHOICES),
    "global_definition": dict(SEVERITY_CHOICES),
    "aetiology": dict(AETIOLOGY_CHOICES),
    "age_band": {code: label for code, label, _, _ in AGE_BANDS},
    "vital_status": dict(VITAL_CHOICES),
    "sex": {"female": "Female", "male": "Male"},
}
FILTER_NAMES = {
    "protocol_code": "protocol",
    "protocol_version": "version",
    "arm": "arm",
    "site_code": "site",
    "enrolled_from": "enrolled from",
    "enrolled_to": "enrolled to",
    "berlin": "Berlin severity at Day 1",
    "global_definition": "Global definition at Day 1",
    "aetiology": "aetiology",
    "age_band": "age at enrolment",
    "sex": "sex",
    "vital_status": "vital status",
}


@dataclass(frozen=True)
class CohortFilter:
    """The cohort builder's choices; an empty value does not filter."""

    protocol_code: str = ""
    protocol_version: str = ""
    arm: str = ""
    site_code: str = ""
    enrolled_from: dt.date | None = None
    enrolled_to: dt.date | None = None
    berlin: str = ""
    global_definition: str = ""
    aetiology: str = ""
    age_band: str = ""
    sex: str = ""
    vital_status: str = ""

    def as_dict(self) -> dict[str, str]:
        """The filters in force, JSON-ready (for the audit trail and the export's description)."""
        return {k: v.isoformat() if isinstance(v, dt.date) else str(v) for k, v in asdict(self).items() if v}

    def describe(self) -> str:
        """The filters in words: ``protocol clinic-ucmsc-iv-2day; sex Female`` (or ``all patients``)."""
        parts = []
        for key, value in self.as_dict().items():
            parts.append(f"{FILTER_NAMES[key]} {LABELS.get(key, {}).get(value, value)}")
        return "; ".join(parts) or "all patients"


def severity_category(meets: Any, severity: Any) -> str:
    """The Day 1 category of one definition's stored result (``meets``: true, false or null)."""
    text = str(meets).strip().lower() if meets is not None else ""
    state = {"true": True, "1": True, "false": False, "0": False}.get(text)
    if state is True:
        return str(severity) if severity in ("mild", "moderate", "severe") else "ungraded"
    if state is False:
        return "not_ards"
    return "undetermined"


def age_band(age_years: int) -> str:
    for code, _, low, high in AGE_BANDS:
        if low <= age_years <= high:
            return code
    return AGE_BANDS[-1][0]


def whole_years(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


@dataclass(frozen=True)
class PatientRow:
    """One patient as the analytics see them: no name, record number or contact details."""

    pk: int
    site_id: int
    site_code: str
    sex: str
    age_years: int
    height_cm: float | None
    enrolment: dt.date
    examined: bool
    protocol_code: str
    protocol_version: str
    arm: str
    plan_id: int | None
    plan_status: str
    berlin: str
    global_definition: str
    aetiology: str
    death: Death | None
    synthetic: bool

    @cached_property
    def study_id(self) -> str:
        """The pseudonym in every export and page: site code and a number (never the record number)."""
        return f"{self.site_code.upper()}-{self.pk:06d}"

    @property
    def age_band(self) -> str:
        return age_band(self.age_years)

    @property
    def vital_status(self) -> str:
        return "dead" if self.death else "alive"

    @property
    def arm_label(self) -> str:
        return self.arm or NO_PLAN

    def day(self, on: dt.date | None) -> int | None:
        """``on`` as days since enrolment (day 0); None stays None."""
        return None if on is None else (on - self.enrolment).days


@dataclass
class Cohort:
    """The patients an analysis is about (ordered by study id), the scope and the filters that chose them."""

    scope: Scope
    filters: CohortFilter
    rows: list[PatientRow]
    today: dt.date
    _zones: dict[int, ZoneInfo] = field(default_factory=dict, repr=False)

    @property
    def size(self) -> int:
        return len(self.rows)

    @cached_property
    def ids(self) -> list[int]:
        return [r.pk for r in self.rows]

    @cached_property
    def by_id(self) -> dict[int, PatientRow]:
        return {r.pk: r for r in self.rows}

    def local_date(self, site_id: int, when: dt.datetime | dt.date | None) -> dt.date | None:
        """A stored date-time as the date it was at the patient's site."""
        if when is None:
            return None
        if not isinstance(when, dt.datetime):
            return when
        return when.astimezone(self._zones[site_id]).date()

    @cached_property
    def last_contact(self) -> dict[int, dt.date]:
        """Each patient's last date known alive or dead: a closed or opened encounter, an administration,
        a discharge, a completed follow-up visit, an adverse event, a death (dates at the patient's site)."""
        contacts = remembered("contacts", self.scope, lambda: scope_contacts(self._zones))
        latest = {row.pk: contacts[row.pk] for row in self.rows if row.pk in contacts}
        for row in self.rows:
            for day in (row.enrolment, row.death.on if row.death else None):
                if day is not None and (row.pk not in latest or day > latest[row.pk]):
                    latest[row.pk] = day
        return latest

    def follow_up_days(self, row: PatientRow) -> int:
        """Days from enrolment to the last contact (0 at the least)."""
        return max(0, (self.last_contact.get(row.pk, row.enrolment) - row.enrolment).days)


def _site_filter(scope: Scope, path: str) -> Q:
    return Q() if scope.site_ids is None else Q(**{f"{path}__in": scope.site_ids})


def scope_contacts(zones: dict[int, ZoneInfo]) -> dict[int, dt.date]:
    """Every patient's latest contact at the sites of ``zones`` (site id -> its zone)."""
    latest: dict[int, dt.date] = {}
    for site_id, zone in zones.items():
        for qs in _contact_queries(site_id, zone):
            for pid, day in qs:
                if day is not None and (pid not in latest or day > latest[pid]):
                    latest[pid] = day
    return latest


def _contact_queries(site_id: int, zone: ZoneInfo) -> list[QuerySet[Any, tuple[int, Any]]]:
    """(patient id, latest local date) of each kind of contact at one site, one grouped query each
    (the database turns the date-times into the site's dates: far cheaper than reading them)."""

    def latest(qs: QuerySet[Any], expression: Any, is_date: bool = False) -> QuerySet[Any, tuple[int, Any]]:
        last = Max(expression) if is_date else TruncDate(Max(expression), tzinfo=zone)
        grouped: QuerySet[Any, tuple[int, Any]] = (
            qs.filter(patient__site_id=site_id)
            .values("patient_id")
            .annotate(last=last)
            .values_list("patient_id", "last")
        )
        return grouped

    return [
        latest(
            Encounter.objects.exclude(status=EncounterStatus.SCHEDULED), Coalesce("closed_at", "opened_at")
        ),
        latest(
            AdministrationSession.objects.filter(started_at__isnull=False), Coalesce("ended_at", "started_at")
        ),
        latest(Discharge.objects.all(), "discharged_at"),
        latest(FollowUpVisit.objects.filter(status=VisitStatus.COMPLETED), "completed_on", is_date=True),
        latest(AdverseEvent.objects.all(), "onset_at"),
    ]


def _first_per_patient(rows: Iterable[tuple[Any, ...]]) -> dict[int, tuple[Any, ...]]:
    """The first row of each patient (rows ordered by patient, then by what counts as first)."""
    first: dict[int, tuple[Any, ...]] = {}
    for row in rows:
        first.setdefault(row[0], row)
    return first


def _last_per_patient(rows: Iterable[tuple[Any, ...]]) -> dict[int, tuple[Any, ...]]:
    return {row[0]: row for row in rows}


def cohort_rows(*, scope: Scope) -> list[PatientRow]:
    """Every patient in ``scope`` with the facts the cohort builder filters on."""
    sites = {s.pk: (s.code, ZoneInfo(s.time_zone)) for s in scope.sites()}
    on_site = _site_filter(scope, "site_id")
    on_patient = _site_filter(scope, "patient__site_id")
    exams: dict[int, tuple[Any, ...]] = {}
    created: dict[int, dt.date] = {}
    for site_id, (_, zone) in sites.items():
        exams.update(
            _first_per_patient(
                Encounter.objects.filter(patient__site_id=site_id, kind=EncounterKind.EXAMINATION)
                .order_by("patient_id", "scheduled_for", "id")
                .values_list("patient_id", "id", TruncDate("scheduled_for", tzinfo=zone), "status")
            )
        )
        created.update(
            Patient.objects.filter(site_id=site_id).values_list("id", TruncDate("created_at", tzinfo=zone))
        )
    exam_ids = {row[1] for row in exams.values()}
    assessed: dict[int, tuple[Any, ...]] = {}
    for enc_id, _seq, *facts in (
        Assessment.objects.filter(
            _site_filter(scope, "encounter__patient__site_id"), encounter__kind=EncounterKind.EXAMINATION
        )
        .order_by("encounter_id", "sequence")
        .values_list(
            "encounter_id",
            "sequence",
            KT("results__berlin__meets"),
            KT("results__berlin__severity"),
            KT("results__global_definition__meets"),
            KT("results__global_definition__severity"),
        )
    ):
        if enc_id in exam_ids:
            assessed[enc_id] = tuple(facts)
    risk = dict(
        Observation.objects.filter(
            _site_filter(scope, "encounter__patient__site_id"),
            encounter__kind=EncounterKind.EXAMINATION,
            key="ards_risk_factor",
            current=True,
        ).values_list("encounter_id", "value_text")
    )
    plans = _last_per_patient(
        TreatmentPlan.objects.filter(on_patient)
        .exclude(status=PlanStatus.SUPERSEDED)
        .order_by("patient_id", "created_at", "id")
        .values_list(
            "patient_id", "id", "status", "arm_name", "protocol_version__code", "protocol_version__version"
        )
    )
    patients = list(
        Patient.objects.filter(on_site)
        .order_by("id")
        .values_list("id", "site_id", "sex", "date_of_birth", "height_cm", "synthetic")
    )
    died = deaths(site_ids=scope.site_ids)
    rows = []
    for pid, site_id, sex, born, height, synthetic in patients:
        code, _ = sites[site_id]
        exam = exams.get(pid)
        enrolment = exam[2] if exam else created[pid]
        facts = assessed.get(exam[1]) if exam else None
        plan = plans.get(pid)
        rows.append(
            PatientRow(
                pk=pid,
                site_id=site_id,
                site_code=code,
                sex=sex,
                age_years=whole_years(born, enrolment),
                height_cm=height,
                enrolment=enrolment,
                examined=bool(exam and exam[3] != EncounterStatus.SCHEDULED),
                protocol_code=plan[4] if plan else "",
                protocol_version=plan[5] if plan else "",
                arm=plan[3] if plan else "",
                plan_id=plan[1] if plan else None,
                plan_status=plan[2] if plan else "",
                berlin=severity_category(facts[0], facts[1]) if facts else "not_assessed",
                global_definition=severity_category(facts[2], facts[3]) if facts else "not_assessed",
                aetiology=(risk.get(exam[1]) if exam else None) or NOT_RECORDED,
                death=died.get(pid),
                synthetic=synthetic,
            )
        )
    return rows


def scope_rows(scope: Scope) -> list[PatientRow]:
    """``cohort_rows`` of ``scope``, remembered while the registry has not changed (``outcomes.memo``)."""
    return remembered("cohort_rows", scope, lambda: cohort_rows(scope=scope))


def matches(row: PatientRow, f: CohortFilter) -> bool:
    """Whether ``row`` passes every filter of ``f`` (site excepted: the scope holds it)."""
    checks = (
        (f.protocol_code, row.protocol_code),
        (f.protocol_version, row.protocol_version),
        (f.arm, row.arm),
        (f.berlin, row.berlin),
        (f.global_definition, row.global_definition),
        (f.aetiology, row.aetiology),
        (f.age_band, row.age_band),
        (f.sex, row.sex),
        (f.vital_status, row.vital_status),
    )
    if any(wanted and wanted != value for wanted, value in checks):
        return False
    if f.enrolled_from and row.enrolment < f.enrolled_from:
        return False
    return not (f.enrolled_to and row.enrolment > f.enrolled_to)


def cohort_build(*, scope: Scope, filters: CohortFilter, today: dt.date | None = None) -> Cohort:
    """The cohort of ``filters`` within ``scope`` (narrowed to the chosen site, which must lie in it).

    Raises:
        PermissionDenied: the chosen site lies outside ``scope``.
    """
    if filters.site_code:
        site = Site.objects.filter(code=filters.site_code).first()
        if site is None:
            raise Http404(NO_SUCH_SITE.format(code=filters.site_code))
        scope = scope.narrowed_to(site)
    rows = [row for row in scope_rows(scope) if matches(row, filters)]
    rows.sort(key=lambda r: (r.site_code, r.pk))
    zones = {s.pk: ZoneInfo(s.time_zone) for s in scope.sites()}
    return Cohort(scope, filters, rows, today or timezone.localdate(), zones)
