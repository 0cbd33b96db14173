"""The cohort's flow through the pathway (CONSORT-like), with the reasons patients left it.

requests -> triaged -> patients -> examined -> eligible -> plan -> approved -> accepted
-> first administration -> discharged -> each follow-up visit (done / missed / overdue / due
/ upcoming). The request steps come before there is a patient, so they count the
consultation requests of the cohort's sites (and enrolment dates, when chosen) only; every
later step counts the cohort's patients. Layout after the CONSORT 2010 flow diagram
(Schulz KF, Altman DG, Moher D. BMJ 2010;340:c332, doi:10.1136/bmj.c332).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import BooleanField, ExpressionWrapper, Q

from stromal.administrations.models import AdministrationSession, SessionStatus
from stromal.followup.models import Discharge, FollowUpVisit, VisitStatus
from stromal.intake.models import ConsultationRequest, RequestStatus
from stromal.outcomes.cohort import Cohort
from stromal.outcomes.figures import bar_figure
from stromal.outcomes.memo import rows_of
from stromal.outcomes.scope import Scope
from stromal.outcomes.tables import Cell, Figure, Report, Table, columns
from stromal.plans.models import EligibilityCheck, PatientDecision, TreatmentPlan

#: Free-text reasons are cut to this many characters when grouped.
REASON_CHARS = 80
VISIT_STATES = ("done", "missed", "overdue", "due now", "upcoming")


@dataclass(frozen=True)
class Step:
    name: str
    n: int
    of_previous: int | None


def _site_ids(scope: Scope) -> dict[str, object]:
    return {} if scope.site_ids is None else {"patient__site_id__in": scope.site_ids}


def _requests(cohort: Cohort) -> tuple[int, int, Counter[str]]:
    qs = ConsultationRequest.objects.all()
    if cohort.scope.site_ids is not None:
        qs = qs.filter(site_id__in=cohort.scope.site_ids)
    f = cohort.filters
    received = triaged = 0
    declined: Counter[str] = Counter()
    zones: dict[str, ZoneInfo] = {}
    for status, created, reason, zone in rows_of(
        "flow.requests",
        cohort.scope,
        qs.values_list("status", "created_at", "decline_reason", "site__time_zone"),
    ):
        day = created.astimezone(zones.setdefault(zone, ZoneInfo(zone))).date()
        if (f.enrolled_from and day < f.enrolled_from) or (f.enrolled_to and day > f.enrolled_to):
            continue
        received += 1
        triaged += status != RequestStatus.NEW
        if status == RequestStatus.DECLINED:
            declined[_reason(reason)] += 1
    return received, triaged, declined


def _is_set(field: str) -> ExpressionWrapper[Q]:
    """Whether ``field`` holds a value, computed by the database: the page needs only that, and
    reading tens of thousands of date-times to test them for None took a third of a cold page."""
    return ExpressionWrapper(Q(**{f"{field}__isnull": False}), output_field=BooleanField())


def _reason(text: str) -> str:
    text = " ".join(text.split())
    return (text[: REASON_CHARS - 1] + "…") if len(text) > REASON_CHARS else (text or "no reason given")


def flow_report(cohort: Cohort, today: dt.date | None = None) -> Report:
    """The flow page: each step's count, the drop-outs with their reasons, and the follow-up visits."""
    today = today or cohort.today
    ids = set(cohort.ids)
    scope = _site_ids(cohort.scope)
    drop: dict[str, Counter[str]] = defaultdict(Counter)

    received, triaged, declined = _requests(cohort)
    drop["triaged"].update({f"request declined: {r}": n for r, n in declined.items()})

    examined = {r.pk for r in cohort.rows if r.examined}
    drop["examined"]["not examined yet"] = len(ids - examined)

    checks: dict[int, tuple[bool | None, bool, list[dict[str, object]]]] = {}
    for pid, ok, override, results in rows_of(
        "flow.checks",
        cohort.scope,
        EligibilityCheck.objects.filter(**scope)
        .order_by("patient_id", "checked_at", "id")
        .values_list("patient_id", "eligible", "override", "results"),
    ):
        if pid in ids:
            checks[pid] = (ok, override, results if isinstance(results, list) else [])
    eligible = {pid for pid, (passed, overridden, _) in checks.items() if passed or overridden}
    for pid in examined - eligible:
        if pid not in checks:
            drop["eligible"]["no eligibility check"] += 1
            continue
        ok, _, results = checks[pid]
        unmet = [str(r.get("description", r.get("code", ""))) for r in results if r.get("status") == "unmet"]
        if ok is None and not unmet:
            drop["eligible"]["undecided: data missing"] += 1
        for text in unmet:
            drop["eligible"][f"criterion not met: {text}"] += 1

    planned: set[int] = set()
    approved: set[int] = set()
    plan_states: dict[int, str] = {}
    for pid, status, was_approved in rows_of(
        "flow.plans",
        cohort.scope,
        TreatmentPlan.objects.filter(**scope)
        .annotate(was_approved=_is_set("approved_at"))
        .values_list("patient_id", "status", "was_approved"),
    ):
        if pid in ids:
            planned.add(pid)
            plan_states[pid] = status
            if was_approved:
                approved.add(pid)
    drop["plan"]["no plan drafted"] = len(eligible - planned)
    for pid in planned - approved:
        drop["approved"][f"plan {plan_states[pid]}"] += 1

    decisions: dict[int, str] = {}
    for pid, decision in rows_of(
        "flow.decisions",
        cohort.scope,
        PatientDecision.objects.filter(**{f"plan__{k}": v for k, v in scope.items()})
        .order_by("decided_at", "id")
        .values_list("plan__patient_id", "decision"),
    ):
        if pid in ids:
            decisions[pid] = decision
    accepted = {pid for pid in approved if decisions.get(pid) == "accept"}
    for pid in approved - accepted:
        drop["accepted"][
            {"decline": "declined (conventional treatment)", "defer": "deferred"}.get(
                decisions.get(pid, ""), "no decision yet"
            )
        ] += 1

    started: set[int] = set()
    cancelled: Counter[str] = Counter()
    for pid, status, was_started, reason in rows_of(
        "flow.sessions",
        cohort.scope,
        AdministrationSession.objects.filter(**scope)
        .annotate(was_started=_is_set("started_at"))
        .values_list("patient_id", "status", "was_started", "stop_reason"),
    ):
        if pid not in ids:
            continue
        if was_started:
            started.add(pid)
        elif status == SessionStatus.CANCELLED:
            cancelled[_reason(reason)] += 1
    drop["first administration"]["not given yet"] = len(accepted - started)
    drop["first administration"].update({f"administration cancelled: {r}": n for r, n in cancelled.items()})

    discharged = {
        pid
        for pid in rows_of(
            "flow.discharges",
            cohort.scope,
            Discharge.objects.filter(**scope).values_list("patient_id", flat=True),
        )
        if pid in ids
    }
    for pid in started - discharged:
        row = cohort.by_id[pid]
        drop["discharged"]["died before discharge" if row.death else "in treatment (not discharged yet)"] += 1

    visits: dict[str, Counter[str]] = defaultdict(Counter)
    visit_order: dict[str, int] = {}
    missed: Counter[str] = Counter()
    for pid, code, name, offset, status, start, end, notes in rows_of(
        "flow.visits",
        cohort.scope,
        FollowUpVisit.objects.filter(**scope).values_list(
            "patient_id", "code", "name", "day_offset", "status", "window_start", "window_end", "notes"
        ),
    ):
        if pid not in ids:
            continue
        label = f"{name} ({code})"
        visit_order[label] = offset
        if status == VisitStatus.COMPLETED:
            visits[label]["done"] += 1
        elif status == VisitStatus.MISSED:
            visits[label]["missed"] += 1
            missed[f"{code}: {_reason(notes)}"] += 1
        elif end < today:
            visits[label]["overdue"] += 1
        elif start <= today:
            visits[label]["due now"] += 1
        else:
            visits[label]["upcoming"] += 1
    drop["follow-up"].update({f"visit missed, {r}": n for r, n in missed.items()})
    deaths = sum(1 for r in cohort.rows if r.death)

    steps = [
        Step("Consultation requests received", received, None),
        Step("Requests triaged", triaged, received),
        Step("Patients in the cohort", cohort.size, None),
        Step("Examined (Day 1)", len(examined), cohort.size),
        Step("Eligible (or criteria overridden)", len(eligible), len(examined)),
        Step("Treatment plan drafted", len(planned & eligible), len(eligible)),
        Step("Plan approved (two signatures)", len(approved), len(planned)),
        Step("Patient accepted (consent)", len(accepted), len(approved)),
        Step("First administration given", len(started & accepted), len(accepted)),
        Step("Discharged", len(discharged), len(started)),
    ]
    step_keys = [
        "",
        "triaged",
        "",
        "examined",
        "eligible",
        "plan",
        "approved",
        "accepted",
        "first administration",
        "discharged",
    ]
    report = Report()
    step_table = Table(
        "flow",
        "Flow through the pathway",
        columns(
            ("step", "Step"),
            ("n", "Patients (requests)", True),
            ("pct", "% of the step before", True),
            ("left", "Left at this step", True),
        ),
        [
            [
                s.name,
                s.n,
                Cell(f"{100 * s.n / s.of_previous:.1f}", s.n / s.of_previous) if s.of_previous else None,
                sum(drop[key].values()) if key else None,
            ]
            for s, key in zip(steps, step_keys, strict=True)
        ],
        per_page=50,
    )
    report.figures.append(
        Figure(
            "flow",
            "Flow through the pathway",
            bar_figure(
                [s.name for s in steps],
                {"count": [s.n for s in steps]},
                title="Flow through the pathway",
                x_title="Step",
                y_title="Patients (the first two: requests)",
                horizontal=True,
            ),
            step_table,
        )
    )
    visit_labels = sorted(visits, key=lambda v: (visit_order[v], v))
    visit_table = Table(
        "visits",
        "Follow-up visits",
        columns(("visit", "Visit"), *((s.replace(" ", "_"), s.capitalize(), True) for s in VISIT_STATES)),
        [[v, *(visits[v][s] for s in VISIT_STATES)] for v in visit_labels],
        per_page=50,
    )
    report.figures.append(
        Figure(
            "visits",
            "Follow-up visits",
            bar_figure(
                visit_labels,
                {s: [visits[v][s] for v in visit_labels] for s in VISIT_STATES},
                title="Follow-up visits: done, missed, overdue, due and upcoming",
                x_title="Visit",
                y_title="Visits",
                stacked=True,
            ),
            visit_table,
        )
    )
    report.tables.append(
        Table(
            "reasons",
            "Why patients left the pathway",
            columns(("step", "Step"), ("reason", "Reason"), ("n", "Patients", True)),
            [[step, reason, n] for step, reasons in drop.items() for reason, n in reasons.most_common() if n],
            default_sort="-n",
        )
    )
    report.notes.append(f"Deaths recorded in the cohort: {deaths}.")
    report.notes.append(
        "Requests count the consultation requests of the cohort's sites (and enrolment dates, when chosen): "
        "before conversion there is no patient for the other filters to apply to."
    )
    return report
