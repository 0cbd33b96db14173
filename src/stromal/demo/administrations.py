"""The synthetic demo cohort for the second half of the care pathway.

Everything is invented (``random.Random(DEMO_SEED)``) and marked synthetic:
product lots in every status; on each of the three protocols a patient whose
course ran to discharge, with completed, interrupted and stopped sessions;
adverse events of several CTCAE grades (one serious, flagged for expedited
review); follow-up visits done, due and overdue; and three courses given five years ago whose visits run to
five years, with every outcome instrument (``stromal.demo.followup``): one patient died, visits
missed with their reasons, lung function and walk distance below the lower limit of normal. To place visits in the past
the demo shifts each course's day 0, plan meeting and consent back in time (a
synthetic convenience: real courses never move); every administration is then
given on its scheduled day, after the consent and never later than now, so
the services' time rules hold. All writes go through the services, so the
rules and the audit trail apply. Idempotent: a second run adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from stdnum.iso7064 import mod_37_2

from stromal.accounts.models import Site, User
from stromal.accounts.roles import Role
from stromal.administrations import services as sessions
from stromal.administrations.models import AdministrationSession
from stromal.audit.services import snapshot
from stromal.demo.followup import DAY28_PROFILE, LONG_TERM, FollowUpDemo, Profile
from stromal.demo.pathway import _patient_at
from stromal.demo.users import SECOND_LAB_USERNAME, demo_username, ensure_demo_site
from stromal.examinations.models import Encounter, EncounterKind
from stromal.followup import services as followup
from stromal.patients.guards import audit_change
from stromal.plans.models import Consent, PlanMeeting, TreatmentPlan
from stromal.plans.selectors import ready_for_treatment
from stromal.products import services as products
from stromal.products.models import ProductLot

DEMO_SEED = 20261123
FACILITY = "Z9999"  # synthetic facility identification number
SIGNERS = (("demo-dr-carter", "Dr Cy Carter (synthetic)"), ("demo-dr-diaz", "Dr Di Diaz (synthetic)"))
BASELINE: dict[str, Any] = {
    "fio2": 0.4,
    "peep_cmh2o": 5.0,
    "support": "niv",
    "spo2_pct": 93,
    "heart_rate_bpm": 98,
    "systolic_bp_mmhg": 116,
    "diastolic_bp_mmhg": 70,
    "respiratory_rate_per_min": 24,
    "temperature_c": 37.6,
}
RESULTS_CELLS: dict[str, Any] = {
    "sterility": "no_growth",
    "mycoplasma": "negative",
    "endotoxin_eu_per_ml": 0.08,
    "viability_pct": 91.0,
    "cell_count": 1.2e8,
    "cd105_pct": 98.2,
    "cd73_pct": 99.1,
    "cd90_pct": 97.6,
    "cd45_pct": 0.4,
    "cd34_pct": 0.3,
    "cd14_cd11b_pct": 0.9,
    "cd79a_cd19_pct": 0.2,
    "hla_dr_pct": 1.1,
}
RESULTS_EXOSOMES: dict[str, Any] = {
    "sterility": "no_growth",
    "mycoplasma": "negative",
    "endotoxin_eu_per_ml": 0.05,
    "particle_count": 2.0e8,
}


def _local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """``day`` at ``hour:minute`` in the site's (active) time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _on_day(session: AdministrationSession, hour: int = 10) -> dt.datetime:
    """A start time on the session's scheduled day (never later than now)."""
    return min(_local(session.scheduled_date, hour), timezone.now() - dt.timedelta(minutes=1))


class _Demo:
    def __init__(self, site: Site, rng: random.Random) -> None:
        self.site = site
        self.rng = rng
        self.sequence = 0
        self.lab = User.objects.get(username=demo_username(Role.LAB))
        self.releaser = User.objects.get(username=SECOND_LAB_USERNAME)
        self.nurse = User.objects.get(username=demo_username(Role.NURSE))
        self.physician = User.objects.get(username=demo_username(Role.PHYSICIAN))
        self.coordinator = User.objects.get(username=demo_username(Role.COORDINATOR))

    def lot(self, product_type: str, *, release: bool = True) -> ProductLot:
        self.sequence += 1
        body = f"{FACILITY}26{self.sequence:06d}"
        lot = products.lot_receive(
            actor=self.lab,
            din_text=body + mod_37_2.calc_check_digit(body),
            product_code="S1234" if product_type != "msc_exosome" else "S5678",
            product_type=product_type,
            donor_code=f"DONOR-SYN-{self.rng.randint(1, 9):02d}",
            volume_ml=50.0 if product_type != "msc_exosome" else 3.0,
            passage=self.rng.randint(2, 4) if product_type != "msc_exosome" else None,
            expires_at=timezone.now() + dt.timedelta(days=self.rng.randint(20, 90)),
            location="LN2 tank 1 (synthetic)",
        )
        if release:
            results = RESULTS_EXOSOMES if product_type == "msc_exosome" else RESULTS_CELLS
            products.lot_record_results(
                lot=lot, actor=self.lab, expected_version=lot.version, results=results
            )
            products.lot_release(lot=lot, actor=self.releaser, expected_version=lot.version)
        return lot

    def run(
        self, session: AdministrationSession, product_type: str, *, start: dt.datetime, finish: bool = True
    ) -> AdministrationSession:
        """Allocate, thaw, check (two people), start and record vitals on the protocol's schedule."""
        lot = self.lot(product_type)
        s = sessions.session_allocate(session=session, lot=lot, user=self.lab, version=session.version)
        midnight = _local(timezone.localdate(start), 0)
        s = sessions.session_prepare(
            session=s,
            user=self.nurse,
            version=s.version,
            thawed_at=max(start - dt.timedelta(minutes=20), midnight),
        )
        for checker in (self.nurse, self.physician):
            s = sessions.identity_check(
                session=s,
                user=checker,
                version=s.version,
                patient_identifier=s.patient.mrn,
                product_identifier=lot.din + lot.din_check,
            ).session
        s = sessions.session_start(
            session=s, user=self.nurse, version=s.version, baseline=BASELINE, started_at=start
        )
        return s

    def vitals(self, s: AdministrationSession, minutes: list[int], **values: Any) -> None:
        assert s.started_at is not None
        for minute in minutes:
            if s.started_at + dt.timedelta(minutes=minute) > timezone.now():
                break  # not yet due
            normal = {
                "spo2_pct": self.rng.randint(92, 96),
                "heart_rate_bpm": self.rng.randint(80, 100),
                "fio2": 0.4,
                "peep_cmh2o": 5.0,
            }
            sessions.vitals_record(
                session=s,
                user=self.nurse,
                values={**normal, **values},
                taken_at=s.started_at + dt.timedelta(minutes=minute),
                scheduled_minute=minute,
            )

    def give(self, s: AdministrationSession, product_type: str, minutes: int = 90) -> AdministrationSession:
        """Record the amount given, the infusion having run ``minutes`` (within the protocol's span)."""
        s.refresh_from_db()
        assert s.started_at is not None
        exosome = product_type == "msc_exosome"
        return sessions.session_record_given(
            session=s,
            user=self.nurse,
            version=s.version,
            volume_given_ml=3.0 if exosome else 50.0,
            cells_given=None if exosome else 8.0e7,
            particles_given=2.0e8 if exosome else None,
            ended_at=s.started_at + dt.timedelta(minutes=minutes),
        )


def _signers(site: Site) -> dict[str, str]:
    passwords: dict[str, str] = {}
    for username, printed in SIGNERS:
        password = secrets.token_urlsafe(12)
        user, _ = User.objects.get_or_create(
            username=username,
            defaults={
                "role": Role.PHYSICIAN.value,
                "site": site,
                "printed_name": printed,
                "last_name": printed,
            },
        )
        user.set_password(password)
        user.save(update_fields=["password"])
        passwords[username] = password
    return passwords


def _accepted_patient(
    demo: _Demo, n: int, code: str, passwords: dict[str, str], day0_days_ago: int
) -> TreatmentPlan:
    users = {
        "coordinator": demo.coordinator,
        "physician": demo.physician,
        "nurse": demo.nurse,
        "lab": demo.lab,
        "adams": User.objects.get(username=SIGNERS[0][0]),
        "brown": User.objects.get(username=SIGNERS[1][0]),
    }
    _patient_at(
        n=n,
        code=code,
        stage="accepted",
        rng=demo.rng,
        users=users,
        passwords={
            users["adams"].username: passwords[SIGNERS[0][0]],
            users["brown"].username: passwords[SIGNERS[1][0]],
        },
    )
    plan = TreatmentPlan.objects.get(patient__site=demo.site, patient__mrn=f"DEMO-{n:04d}")
    # Synthetic time shift so that this course's visits fall due in the demo: day 0,
    # the plan meeting and the consent move back together, keeping their order.
    # The shift is written to the audit trail like any change, so the trail and the
    # records agree (nothing in the database changes unaudited, not even demo data).
    day0 = timezone.localdate() - dt.timedelta(days=day0_days_ago)
    # The Day-1 examination (the registry's enrolment) the day before day 0, and the registration
    # before it: else the analytics count every course from today, years after its doses.
    eve = day0 - dt.timedelta(days=1)
    _shift(demo, plan.patient, plan.patient, created_at=_local(eve, 7))
    for exam in Encounter.objects.filter(patient=plan.patient, kind=EncounterKind.EXAMINATION):
        opened = _local(eve, 10)
        _shift(
            demo,
            exam,
            plan.patient,
            scheduled_for=opened,
            opened_at=opened,
            closed_at=opened + dt.timedelta(hours=2) if exam.closed_at else None,
        )
    _shift(demo, plan, plan.patient, start_date=day0)
    for meeting in PlanMeeting.objects.filter(plan=plan):
        _shift(demo, meeting, plan.patient, held_at=_local(day0, 8))
    for consent in Consent.objects.filter(plan=plan):
        _shift(demo, consent, plan.patient, given_at=_local(day0, 9))
    plan.refresh_from_db()
    return plan


DEMO_TIME_SHIFT = "Synthetic demo: course moved back in time so that its doses and visits fall due"


def _shift(demo: _Demo, record: Any, patient: Any, **fields: Any) -> None:
    before = snapshot(record)
    type(record).objects.filter(pk=record.pk).update(**fields)
    record.refresh_from_db()
    audit_change(
        actor=demo.coordinator,
        action="demo_time_shift",
        instance=record,
        before=before,
        patient=patient,
        reason=DEMO_TIME_SHIFT,
    )


def _discharge(demo: _Demo, plan: TreatmentPlan, summary: str, at: dt.datetime | None = None) -> None:
    followup.discharge_record(
        plan=plan,
        physician=demo.physician,
        discharged_at=at or timezone.now(),
        examination_findings="Synthetic: chest clear on auscultation, SpO2 95 % on room air, walking unaided.",
        spo2_pct=95.0,
        summary=summary,
        recommendations="Synthetic: pulmonary rehabilitation; return for the scheduled follow-up visits.",
    )


_PRODUCT_OF = {
    "clinic-ucmsc-iv-2day": "uc_msc",
    "start-like-single-iv": "bm_msc",
    "msc-exosome-inhaled-5day": "msc_exosome",
}


def _long_term_course(
    demo: _Demo,
    outcomes: FollowUpDemo,
    passwords: dict[str, str],
    n: int,
    code: str,
    days_ago: int,
    profile: Profile,
) -> None:
    """A course given ``days_ago`` days ago without events, discharged the day after the last
    administration, and its follow-up visits recorded to today."""
    plan = _accepted_patient(demo, n, code, passwords, days_ago)
    product = _PRODUCT_OF[code]
    given = sessions.sessions_schedule(plan=plan, user=demo.nurse)
    for i, session in enumerate(given):
        s = demo.run(session, product, start=_on_day(session, hour=9 + i % 3))
        demo.vitals(s, [0, 15, 30])
        demo.give(s, product, minutes=30 if product == "msc_exosome" else 90)
    last = max(session.scheduled_date for session in given)
    _discharge(
        demo,
        plan,
        "Synthetic: the protocol's administrations without events; discharged the next day.",
        at=_local(last + dt.timedelta(days=1), 14),
    )
    outcomes.record(plan, profile, timezone.localdate())


def load_administrations() -> None:
    """Load the second-half demo once (needs the demo logins and protocols of the first half)."""
    site = ensure_demo_site()
    if ProductLot.objects.filter(din__startswith=FACILITY).exists():
        print("Demo administrations already loaded.")
        return
    with transaction.atomic():
        rng = random.Random(DEMO_SEED)
        demo = _Demo(site, rng)
        passwords = _signers(site)
        now = timezone.now()

        # Clinic protocol, day 0 four months ago: two completed infusions, discharged,
        # Day 28 done, Month 3 overdue; a grade-1 fever graded on day 1.
        plan = _accepted_patient(demo, 101, "clinic-ucmsc-iv-2day", passwords, 120)
        first, second = sessions.sessions_schedule(plan=plan, user=demo.nurse)
        s = demo.run(first, "uc_msc", start=_on_day(first))
        demo.vitals(s, [0, 15, 30, 60, 90, 120])
        demo.give(s, "uc_msc")
        assert s.started_at is not None
        fever = sessions.adverse_event_report(
            session=s,
            user=demo.nurse,
            term="Fever",
            onset_at=s.started_at + dt.timedelta(hours=2),
            description="Synthetic: 38.1 °C two hours after the infusion, settled with paracetamol.",
        )
        sessions.adverse_event_grade(
            event=fever,
            physician=demo.physician,
            version=fever.version,
            ctcae_grade=1,
            serious=False,
            seriousness_criteria=[],
            relatedness="possible",
            outcome="recovered",
            action_taken="treated",
        )
        s = demo.run(second, "uc_msc", start=_on_day(second))
        demo.vitals(s, [0, 15, 30, 60])
        demo.give(s, "uc_msc")
        _discharge(demo, plan, "Synthetic: two UC-MSC infusions on days 1 and 2; one grade-1 fever.")
        outcomes = FollowUpDemo(random.Random(DEMO_SEED + 1), demo.coordinator, demo.nurse, demo.physician)
        outcomes.record(plan, DAY28_PROFILE, timezone.localdate(), only=("d28",))

        # Exosome protocol, day 0 a month ago: five inhalations, the third interrupted
        # and resumed; discharged; Day 28 visit due now.
        plan = _accepted_patient(demo, 102, "msc-exosome-inhaled-5day", passwords, 30)
        for i, session in enumerate(sessions.sessions_schedule(plan=plan, user=demo.nurse)):
            s = demo.run(session, "msc_exosome", start=_on_day(session, hour=9 + i))
            demo.vitals(s, [0, 15])
            if i == 2:
                s.refresh_from_db()
                started = s.started_at
                assert started is not None
                s = sessions.session_interrupt(
                    session=s,
                    user=demo.nurse,
                    version=s.version,
                    reason="Synthetic: nebuliser mesh blocked; replaced.",
                    at=started + dt.timedelta(minutes=18),
                )
                s = sessions.session_resume(
                    session=s, user=demo.nurse, version=s.version, at=started + dt.timedelta(minutes=24)
                )
            demo.give(s, "msc_exosome", minutes=30)
        _discharge(
            demo,
            plan,
            "Synthetic: five daily inhalations of MSC exosomes; one interruption for a blocked mesh.",
        )

        # START-like protocol: the single infusion is stopped by a stopping rule
        # (hypoxaemia needing FiO2 +0.2 and PEEP +5); the physician confirms;
        # a serious grade-3 event flagged for expedited review.
        plan = _accepted_patient(demo, 103, "start-like-single-iv", passwords, 2)
        [only] = sessions.sessions_schedule(plan=plan, user=demo.nurse)
        s = demo.run(only, "bm_msc", start=_on_day(only))
        demo.vitals(s, [0, 15])
        result = sessions.vitals_record(
            session=s,
            user=demo.nurse,
            values={"fio2": 0.6, "peep_cmh2o": 10.0, "spo2_pct": 89},
            taken_at=s.started_at + dt.timedelta(minutes=30) if s.started_at else None,
            scheduled_minute=30,
        )
        s.refresh_from_db()
        s = sessions.session_confirm_stop(
            session=s,
            physician=demo.physician,
            version=s.version,
            note="Synthetic: infusion stopped, oxygen increased, ICU review.",
        )
        demo.give(s, "bm_msc")
        event = result.adverse_event
        assert event is not None
        sessions.adverse_event_grade(
            event=event,
            physician=demo.physician,
            version=event.version,
            ctcae_grade=3,
            serious=True,
            seriousness_criteria=["hospitalisation"],
            relatedness="probable",
            outcome="recovering",
            action_taken="stopped",
        )

        # Clinic protocol, day 0 two days ago: day 1 given yesterday, day 2 running now (interrupted).
        plan = _accepted_patient(demo, 104, "clinic-ucmsc-iv-2day", passwords, 2)
        first, second = sessions.sessions_schedule(plan=plan, user=demo.nurse)
        s = demo.run(first, "uc_msc", start=_on_day(first))
        demo.vitals(s, [0, 15, 30, 60, 90, 120])
        demo.give(s, "uc_msc")
        s = demo.run(
            second, "uc_msc", start=max(now - dt.timedelta(minutes=40), _local(timezone.localdate(), 0))
        )
        demo.vitals(s, [0, 15, 30])
        s.refresh_from_db()
        sessions.session_interrupt(
            session=s, user=demo.nurse, version=s.version, reason="Synthetic: patient asked for a pause."
        )

        # Years of follow-up: three courses given five years ago, their visits recorded to five years
        # (one death, missed visits, values below the LLN; stromal.demo.followup).
        for n, code, days_ago, profile in LONG_TERM:
            _long_term_course(demo, outcomes, passwords, n, code, days_ago, profile)

        # The first half's accepted patients get their administration days (waiting for units).
        for ready in TreatmentPlan.objects.filter(
            patient__site=site, patient__synthetic=True, administrations__isnull=True
        ).select_related("protocol_version", "patient"):
            if ready_for_treatment(ready):
                sessions.sessions_schedule(plan=ready, user=demo.nurse)

        # Stock: released units of each type, two in quarantine, one discarded.
        for product_type in ("uc_msc", "bm_msc", "msc_exosome", "uc_msc"):
            demo.lot(product_type)
        demo.lot("uc_msc", release=False)
        pending = demo.lot("bm_msc", release=False)
        products.lot_record_results(
            lot=pending,
            actor=demo.lab,
            expected_version=pending.version,
            results={"sterility": "growth", "viability_pct": 64.0},
        )
        products.lot_discard(
            lot=pending,
            actor=demo.lab,
            expected_version=pending.version,
            reason="Synthetic: sterility culture positive.",
        )
    print(
        "Demo administrations loaded: product lots in every status, sessions, adverse events, discharges, follow-up."
    )
