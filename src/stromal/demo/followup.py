"""Synthetic follow-up for the demo's treated patients: visits to five years with every due
instrument, values that recover or stay below the lower limit of normal, missed visits with
reasons, instruments not done with reasons, and a death recorded by vital status.

Everything is invented from ``random.Random`` (seeded by the caller) along a recovery profile
per patient (``Profile``): each measurement moves from its value at 3 months towards a plateau
with a time constant, plus noise. Lung function and walk distances are generated as % of the
patient's own predicted value (the same GLI and Enright equations the registry scores them
with), then entered as raw litres, mL/min/mmHg and metres. Every visit goes through
``stromal.followup.services.visit_record``, so the instruments' rules and the audit trail apply.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from stromal.accounts.models import User
from stromal.administrations import services as admin_services
from stromal.clinical.instruments import INSTRUMENTS, Subject, rand36
from stromal.clinical.reference_values import six_minute_walk_predicted_m
from stromal.followup import services
from stromal.followup.due import subject_for
from stromal.followup.models import FollowUpVisit, VisitStatus
from stromal.followup.selectors import visit_instruments
from stromal.plans.models import TreatmentPlan


@dataclass(frozen=True)
class Profile:
    """How one synthetic patient recovers: % predicted at 3 months -> plateau (``tau_days``),
    questionnaire totals from start to end, and the visits that did not happen."""

    fvc_pct: tuple[float, float]
    dlco_pct: tuple[float, float]
    walk_pct: tuple[float, float]
    tau_days: float
    phq9: tuple[int, int]
    gad7: tuple[int, int]
    moca: tuple[int, int]
    mmrc: tuple[int, int]
    health: tuple[float, float]  # RAND-36 answers drawn around this 0-1 health level
    weight_kg: float
    education_years: int
    worked_before: bool
    fibrosis_pct: float = 0.0  # extent of fibrotic-like changes on CT at 6 months (0: none)
    died_on_day: int | None = None  # days after day 0
    missed: dict[str, str] = field(default_factory=dict)  # visit code -> reason
    not_done: dict[tuple[str, str], str] = field(default_factory=dict)  # (visit, instrument) -> reason
    adverse_events: dict[str, str] = field(default_factory=dict)  # visit code -> event found there


def _towards(start: float, end: float, day: int, tau: float) -> float:
    """``start`` at day 90 moving to ``end``: start + (end - start)(1 - exp(-(day - 90)/tau))."""
    return start + (end - start) * (1 - math.exp(-max(day - 90, 0) / tau))


def _split(total: int, items: int, top: int, rng: random.Random) -> list[int]:
    """``total`` spread over ``items`` answers of 0..``top`` each (at random, deterministically)."""
    answers = [0] * items
    for _ in range(max(0, min(total, items * top))):
        open_items = [i for i in range(items) if answers[i] < top]
        answers[rng.choice(open_items)] += 1
    return answers


def _rand36(level: float, rng: random.Random) -> dict[str, Any]:
    """Precoded answers whose RAND-36 recoded values lie near ``level`` x 100 (+/- noise)."""
    out: dict[str, Any] = {}
    for n in range(1, 37):
        target = min(100.0, max(0.0, level * 100 + rng.gauss(0, 12)))
        item = INSTRUMENTS["rand36"].item(f"rand36_{n}")
        choices = range(1, int(item.maximum or 1) + 1)
        out[f"rand36_{n}"] = min(choices, key=lambda a: abs(rand36.recoded(n, a) - target))
    return out


def _predicted(code: str, subject: Subject) -> dict[str, float]:
    """The patient's predicted values (the scores of a dummy measurement)."""
    if code == "spirometry":
        scores = INSTRUMENTS["spirometry"].score({"fev1_l": 1.0, "fvc_l": 1.0}, subject)
        return {"fvc": float(scores["fvc_predicted"] or 0), "ratio": float(scores["fev1_fvc_predicted"] or 0)}
    scores = INSTRUMENTS["dlco"].score({"dlco_ml_min_mmhg": 10.0}, subject)
    return {"dlco": float(scores["predicted"] or 0)}


class FollowUpDemo:
    """Writes one patient's visits as a coordinator and a nurse would have."""

    def __init__(self, rng: random.Random, coordinator: User, nurse: User, physician: User) -> None:
        self.rng = rng
        self.coordinator = coordinator
        self.nurse = nurse
        self.physician = physician

    def answers(
        self, visit: FollowUpVisit, profile: Profile, on: dt.date, weight_kg: float
    ) -> dict[str, Any]:
        """Plausible answers to every instrument, for ``visit`` on day ``on``."""
        rng, day = self.rng, visit.day_offset
        subject = subject_for(visit.patient, on, weight_kg)
        progress = 1 - math.exp(-max(day - 28, 0) / profile.tau_days)

        def between(pair: tuple[int, int]) -> int:
            return round(pair[0] + (pair[1] - pair[0]) * progress + rng.choice((-1, 0, 0, 1)))

        spiro = _predicted("spirometry", subject)
        fvc_l = (
            spiro["fvc"] * _towards(*profile.fvc_pct, day, profile.tau_days) / 100 * rng.uniform(0.97, 1.03)
        )
        ratio = min(0.95, spiro["ratio"] * rng.uniform(0.97, 1.04))
        dlco = _predicted("dlco", subject)["dlco"] * _towards(*profile.dlco_pct, day, profile.tau_days) / 100
        walk_pct = _towards(*profile.walk_pct, day, profile.tau_days) * rng.uniform(0.96, 1.04)
        walk_m = six_minute_walk_predicted_m(
            subject.sex, subject.age_years, subject.height_cm or 170, weight_kg
        )
        phq9 = max(0, min(27, between(profile.phq9)))
        gad7 = max(0, min(21, between(profile.gad7)))
        returned = "no" if day < 180 else "reduced" if day < 730 else "same_hours"
        readmitted = rng.random() < 0.12
        spo2_start = rng.randint(94, 98)
        return {
            "vital_status": {"vital_status": "alive", "vital_status_ascertainment": "visit"},
            "six_minute_walk": {
                "six_minute_walk_m": round(walk_m * walk_pct / 100),
                "spo2_start_pct": spo2_start,
                "spo2_nadir_pct": spo2_start - rng.randint(1, 6 if walk_pct > 75 else 9),
                "borg_dyspnoea_start": 0,
                "borg_dyspnoea_end": max(0, min(10, round((100 - walk_pct) / 10) + rng.randint(0, 2))),
                "borg_fatigue_end": rng.randint(1, 4),
                "oxygen_used": False,
            },
            "spirometry": {"fev1_l": round(fvc_l * ratio, 2), "fvc_l": round(fvc_l, 2)},
            "dlco": {"dlco_ml_min_mmhg": round(dlco, 1)},
            "mmrc": {"mmrc_grade": max(0, min(4, between(profile.mmrc)))},
            "moca": {
                "moca_score": max(0, min(30, between(profile.moca))),
                "education_years": profile.education_years,
            },
            "phq9": {f"phq9_{n}": a for n, a in enumerate(_split(phq9, 9, 3, rng), start=1)},
            "gad7": {f"gad7_{n}": a for n, a in enumerate(_split(gad7, 7, 3, rng), start=1)},
            "rand36": _rand36(profile.health[0] + (profile.health[1] - profile.health[0]) * progress, rng),
            "chest_ct": (
                {
                    "ct_date": on.isoformat(),
                    "ct_fibrotic_like_changes": True,
                    "ct_fibrosis_extent_pct": round(profile.fibrosis_pct * (1 - 0.3 * progress), 1),
                    "ct_fibrosis_lobes": 2 if profile.fibrosis_pct < 15 else 4,
                    "ct_report": "Synthetic: subpleural reticulation and parenchymal bands, lower lobes.",
                }
                if profile.fibrosis_pct
                else {"ct_date": on.isoformat(), "ct_fibrotic_like_changes": False}
            ),
            "return_to_work": (
                {
                    "worked_before_illness": True,
                    "returned_to_work": returned,
                    "usual_activity_resumed": "partly",
                }
                if profile.worked_before
                else {
                    "worked_before_illness": False,
                    "usual_activity_resumed": "fully" if day > 365 else "partly",
                }
            ),
            "readmissions": (
                {
                    "readmissions_count": 1,
                    "readmission_respiratory": True,
                    "readmission_reasons": "Synthetic: chest infection",
                }
                if readmitted
                else {"readmissions_count": 0}
            ),
        }

    def record(
        self, plan: TreatmentPlan, profile: Profile, today: dt.date, *, only: Collection[str] = ()
    ) -> None:
        """Every visit of ``plan`` (or of the codes ``only``) whose target day has come:
        recorded, missed with its reason, or (after a death) left not due by the service."""
        visits = FollowUpVisit.objects.filter(plan=plan).select_related("patient", "plan__protocol_version")
        if only:
            visits = visits.filter(code__in=only)
        for visit in visits.order_by("target_date"):
            visit.refresh_from_db()
            if visit.status != VisitStatus.SCHEDULED or visit.target_date > today:
                continue
            if visit.code in profile.missed:
                services.visit_mark_missed(
                    visit=visit,
                    user=self.coordinator,
                    version=visit.version,
                    reason=profile.missed[visit.code],
                )
                continue
            on = min(today, visit.target_date + dt.timedelta(days=self.rng.randint(-3, 5)))
            on = max(on, visit.window_start)
            day0 = plan.start_date
            if profile.died_on_day is not None and (on - day0).days > profile.died_on_day:
                self._death(visit, day0 + dt.timedelta(days=profile.died_on_day), on)
                continue
            weight = round(profile.weight_kg + self.rng.uniform(-2, 2), 1)
            answers = self.answers(visit, profile, on, weight)
            entries = {}
            for slot in visit_instruments(visit=visit).slots:
                code = slot.instrument.code
                if not slot.due:
                    continue
                reason = profile.not_done.get((visit.code, code))
                entries[code] = (
                    services.InstrumentEntry(not_done_reason=reason)
                    if reason
                    else services.InstrumentEntry(answers=answers[code])
                )
            services.visit_record(
                visit=visit,
                user=self.nurse,
                version=visit.version,
                entries=entries,
                completed_on=on,
                weight_kg=weight if "six_minute_walk" in entries else None,
                notes="Synthetic follow-up visit.",
                complete=True,
            )
            if visit.code in profile.adverse_events:
                self._adverse_event(visit, profile.adverse_events[visit.code], on)

    def _adverse_event(self, visit: FollowUpVisit, term: str, on: dt.date) -> None:
        """An event found at the visit (onset three weeks before it), graded by the physician."""
        onset = timezone.make_aware(dt.datetime.combine(on - dt.timedelta(days=21), dt.time(8, 0)))
        event = services.visit_adverse_event_report(
            visit=visit,
            user=self.nurse,
            term=term,
            onset_at=onset,
            description="Synthetic: reported by the patient at the follow-up visit.",
        )
        admin_services.adverse_event_grade(
            event=event,
            physician=self.physician,
            version=event.version,
            ctcae_grade=2,
            serious=False,
            seriousness_criteria=[],
            relatedness="unlikely",
            outcome="recovered",
            action_taken="treated",
        )

    def _death(self, visit: FollowUpVisit, died: dt.date, on: dt.date) -> None:
        """The visit at which a relative reports the death: vital status only (later visits close)."""
        services.visit_record(
            visit=visit,
            user=self.coordinator,
            version=visit.version,
            entries={
                "vital_status": services.InstrumentEntry(
                    answers={
                        "vital_status": "dead",
                        "vital_status_ascertainment": "telephone_relative",
                        "date_of_death": died.isoformat(),
                        "cause_of_death": "respiratory",
                        "cause_of_death_detail": "Synthetic: pneumonia with respiratory failure.",
                    }
                )
            },
            completed_on=on,
            notes="Synthetic: the daughter called back when the visit reminder was sent.",
            complete=True,
        )


#: The long-term demo patients' courses: (MRN number, protocol, day 0 in days ago, profile).
LONG_TERM: tuple[tuple[int, str, int, Profile], ...] = (
    (
        105,
        "clinic-ucmsc-iv-2day",
        1900,
        Profile(
            fvc_pct=(72, 94),
            dlco_pct=(64, 86),
            walk_pct=(68, 92),
            tau_days=300,
            phq9=(11, 3),
            gad7=(9, 2),
            moca=(24, 28),
            mmrc=(3, 0),
            health=(0.45, 0.85),
            weight_kg=78,
            education_years=16,
            worked_before=True,
            fibrosis_pct=8,
            not_done={
                ("y4", "dlco"): "Synthetic: diffusion analyser under repair that week.",
                ("y5", "chest_ct"): "Synthetic: declined a further CT (radiation dose).",
            },
        ),
    ),
    (
        106,
        "start-like-single-iv",
        1900,
        Profile(
            fvc_pct=(58, 66),
            dlco_pct=(45, 52),
            walk_pct=(52, 60),
            tau_days=400,
            phq9=(16, 12),
            gad7=(12, 9),
            moca=(21, 22),
            mmrc=(4, 3),
            health=(0.3, 0.4),
            weight_kg=66,
            education_years=10,
            worked_before=False,
            fibrosis_pct=25,
            died_on_day=905,
        ),
    ),
    (
        107,
        "msc-exosome-inhaled-5day",
        1900,
        Profile(
            fvc_pct=(70, 78),
            dlco_pct=(55, 68),
            walk_pct=(60, 74),
            tau_days=500,
            phq9=(14, 8),
            gad7=(10, 6),
            moca=(23, 25),
            mmrc=(3, 2),
            health=(0.35, 0.6),
            weight_kg=92,
            education_years=12,
            worked_before=True,
            fibrosis_pct=15,
            missed={
                "y2": "Synthetic: moved abroad for a year; not reachable after three calls.",
                "y4": "Synthetic: declined the visit (caring for a relative).",
            },
            not_done={("m3", "six_minute_walk"): "Synthetic: on home oxygen, too breathless to walk."},
            adverse_events={"y1": "Community-acquired pneumonia (synthetic)"},
        ),
    ),
)

#: The Day 28 visit of the demo's first treated patient (DEMO-0101).
DAY28_PROFILE = Profile(
    fvc_pct=(75, 90),
    dlco_pct=(65, 85),
    walk_pct=(65, 88),
    tau_days=250,
    phq9=(9, 4),
    gad7=(7, 3),
    moca=(25, 27),
    mmrc=(2, 1),
    health=(0.5, 0.8),
    weight_kg=74,
    education_years=14,
    worked_before=True,
)
