"""Registry analytics and exports at scale, on PostgreSQL.

Loads N patients (default 10,000) with full courses through ``bench_pathway_load.load``
(day 0 spread over five years), then adds what the analytics read: the Day 1
assessment (Berlin and Global severity) and aetiology, a follow-up encounter with FVC,
DLCO, six-minute walk and mMRC at every completed follow-up visit, and deaths
(fatal adverse events) for about one patient in ten. Then it measures:

* ``stromal export`` of everything, each format alone and all three together, each in a
  fresh process: wall time and peak resident memory (``VmHWM``), rows written;
* every analytics page through the whole Django stack (``django.test.Client``, signed in
  as an investigator): cold (nothing remembered), another cohort of the same sites, and the
  same page again (``outcomes.memo``); median of ``--repeat`` requests each;
* the trajectories' values read both ways in the same process (``instrument_values`` against
  ``numeric_values``) and their ratio.

Targets (issue #10): export < 60 s with peak memory < 500 MB; every analytics page < 1 s.

    .venv/bin/python benchmarks/bench_outcomes.py [--patients 10000] [--repeat 5]
        [--admin-url postgresql://postgres@127.0.0.1:5432/postgres] [--keep | --reuse]

Not a test: it asserts nothing, it prints figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
BATCH = 2000
FIVE_YEARS_DAYS = 5 * 365 + 30
PAGES = ("", "flow/", "survival/", "survival/?by=berlin", "trajectories/", "safety/")


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--patients", type=int, default=10_000)
    p.add_argument("--repeat", type=int, default=5, help="requests per analytics page")
    p.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    p.add_argument("--database", default="stromal_bench_outcomes")
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    p.add_argument("--reuse", action="store_true", help="measure the database an earlier --keep run left")
    p.add_argument("--formats", default="csv;sav;odm;csv,sav,odm", help="';'-separated export runs")
    p.add_argument("--child-export", nargs=2, metavar=("FORMATS", "OUT"), help=argparse.SUPPRESS)
    return p.parse_args()


def add_outcome_data(seed: int = 20261130) -> dict[str, int]:
    """The Day 1 assessments, aetiologies, follow-up measurements and deaths the analytics read."""
    from django.db import connection

    from stromal.accounts.models import User
    from stromal.administrations.models import AdverseEvent
    from stromal.examinations.fields import ARDS_RISK_FACTORS
    from stromal.examinations.models import Assessment, Encounter, Observation
    from stromal.followup.models import FollowUpVisit

    rng = random.Random(seed)
    doc = User.objects.get(username="bench-physician")
    nurse = User.objects.get(username="bench-nurse")
    exams = list(
        Encounter.objects.filter(kind="examination").values_list("id", "patient_id", "scheduled_for")
    )
    severities = ["mild", "moderate", "moderate", "severe"]
    Assessment.objects.bulk_create(
        [
            Assessment(
                encounter_id=eid,
                sequence=1,
                rules_version="2026.11.2",
                inputs={"pao2_mmhg": 72.0, "fio2": 0.45},
                results={
                    "pf_ratio": 160.0,
                    "berlin": {"meets": True, "severity": (sev := rng.choice(severities))},
                    "global_definition": {"meets": True, "severity": sev, "category": "intubated"},
                },
            )
            for eid, _, _ in exams
        ],
        batch_size=BATCH,
    )
    codes = [code for code, _ in ARDS_RISK_FACTORS]
    Observation.objects.bulk_create(
        [
            Observation(
                encounter_id=eid, key="ards_risk_factor", value_text=rng.choice(codes[:10]), recorded_by=nurse
            )
            for eid, _, _ in exams
        ],
        batch_size=BATCH,
    )
    all_done = list(
        FollowUpVisit.objects.filter(status="completed").values_list(
            "id", "patient_id", "completed_on", "day_offset"
        )
    )
    # A quarter of the patients' visits are recorded as follow-up instruments (what the registry
    # records now, issue #9), the rest as examination observations (what it recorded before): the
    # analytics read both through outcomes.followup_adapter, so both paths are measured at scale.
    # (Not all: GLI scoring through pyspiro costs ~14 ms a spirometry, minutes for 10,000 patients.)
    instrument_visits = [v for v in all_done if v[1] % 4 == 0]
    done = [(pid, on, offset) for _, pid, on, offset in all_done if pid % 4 != 0 and on is not None]
    responses = instrument_responses(instrument_visits, nurse, rng)
    encounters = Encounter.objects.bulk_create(
        [
            Encounter(
                patient_id=pid,
                kind="follow_up",
                status="closed",
                scheduled_for=(at := dt.datetime.combine(on, dt.time(10), dt.UTC)),
                opened_at=at,
                closed_at=at,
                closed_by=doc,
            )
            for pid, on, _ in done
        ],
        batch_size=BATCH,
    )
    observations = []
    walks = []
    for enc, (_, _, offset) in zip(encounters, done, strict=True):
        recovery = min(1.0, offset / 365)
        fvc = rng.gauss(70 + 15 * recovery, 12)
        dlco = rng.gauss(60 + 15 * recovery, 14)
        walk = rng.gauss(380 + 60 * recovery, 80)
        for key, value, unit in (
            ("fvc_pct_predicted", fvc, "% predicted"),
            ("dlco_pct_predicted", dlco, "% predicted"),
            ("six_minute_walk_m", walk, "m"),
            ("mmrc_grade", float(max(0, min(4, round(rng.gauss(2 - recovery, 1))))), "grade"),
        ):
            observations.append(
                Observation(
                    encounter=enc, key=key, value_number=round(value, 1), unit=unit, recorded_by=nurse
                )
            )
        walks.append(
            Assessment(
                encounter=enc,
                sequence=1,
                rules_version="2026.11.2",
                inputs={"six_minute_walk_m": round(walk, 1)},
                results={"six_minute_walk": {"percent_predicted": round(walk / 5.1, 1)}},
            )
        )
    Observation.objects.bulk_create(observations, batch_size=BATCH)
    Assessment.objects.bulk_create(walks, batch_size=BATCH)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    dead = [
        (pid, onset)
        for _, pid, when in exams
        if rng.random() < 0.1 and (onset := when + dt.timedelta(days=rng.randint(5, 900))) < now
    ]
    AdverseEvent.objects.bulk_create(
        [
            AdverseEvent(
                patient_id=pid,
                term="Death (synthetic)",
                onset_at=onset,
                ctcae_grade=5,
                graded_by=doc,
                graded_at=onset,
                serious=True,
                seriousness_criteria=["death"],
                relatedness="unrelated",
                outcome="fatal",
                expedited_review=True,
                reported_by=nurse,
            )
            for pid, onset in dead
        ],
        batch_size=BATCH,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "follow-up encounters": len(encounters),
        "observations": len(observations),
        "instrument responses": responses,
        "deaths": len(dead),
    }


def instrument_responses(
    visits: list[tuple[int, int, dt.date | None, int]], nurse: Any, rng: random.Random
) -> int:
    """Spirometry, DLCO, six-minute walk and PHQ-9 at each visit, scored by the instruments' own
    scorers (stromal.clinical.instruments, GLI through pyspiro) as the visit page stores them."""
    from stromal.clinical.instruments import INSTRUMENTS
    from stromal.followup.due import scoring_of, subject_for
    from stromal.followup.models import InstrumentResponse
    from stromal.patients.models import Patient

    patients = Patient.objects.in_bulk({pid for _, pid, _, _ in visits})
    today = dt.date.today()
    scored: dict[tuple[Any, ...], dict[str, Any]] = {}  # the same answers of the same subject score alike
    rows: list[InstrumentResponse] = []
    recorded_at = dt.datetime.now(dt.UTC)
    for visit_id, pid, completed_on, offset in visits:
        on = completed_on or today
        patient = patients[pid]
        recovery = min(1.0, offset / 365)
        exact = subject_for(patient, on, weight_kg=round(rng.gauss(75, 12)))
        # Scored for the subject's 5-year age band and 5 cm height band, so that scores repeat.
        subject = dataclasses.replace(
            exact, age_years=5 * round(exact.age_years / 5), height_cm=5 * round((exact.height_cm or 170) / 5)
        )
        answers: dict[str, dict[str, Any]] = {
            "spirometry": {"fev1_l": round(rng.gauss(2.2 + 0.4 * recovery, 0.4) * 5) / 5, "fvc_l": 0.0},
            "dlco": {"dlco_ml_min_mmhg": round(rng.gauss(15 + 5 * recovery, 3), 0)},
            "six_minute_walk": {
                "six_minute_walk_m": round(rng.gauss(380 + 60 * recovery, 80) / 10) * 10,
                "spo2_start_pct": 96,
                "spo2_nadir_pct": 91,
                "borg_dyspnoea_end": 3,
                "borg_fatigue_end": 3,
                "oxygen_used": False,
            },
            "phq9": {f"phq9_{n}": rng.choice((0, 0, 1, 1, 2)) for n in range(1, 10)},
        }
        fev1 = answers["spirometry"]["fev1_l"]
        answers["spirometry"]["fvc_l"] = round(max(fev1 + 0.2, rng.gauss(fev1 / 0.78, 0.2)) * 5) / 5
        for code, raw in answers.items():
            instrument = INSTRUMENTS[code]
            key = (code, tuple(sorted(raw.items())), subject.sex, round(subject.age_years), subject.height_cm)
            if key not in scored:
                scored[key] = instrument.score(raw, subject, today=today)
            name, version = scoring_of(instrument, scored[key])
            rows.append(
                InstrumentResponse(
                    visit_id=visit_id,
                    instrument_code=code,
                    instrument_version=instrument.version,
                    answers=raw,
                    scores=scored[key],
                    scoring_name=name,
                    scoring_version=version,
                    subject={
                        "measured_on": on.isoformat(),
                        "sex": subject.sex,
                        "age_years": subject.age_years,
                    },
                    recorded_by=nurse,
                    recorded_at=recorded_at,
                )
            )
    InstrumentResponse.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def child_export(formats: str, out: str) -> int:
    """In a fresh process: one ``stromal export``, then its wall time and peak memory on stdout."""
    from stromal.cli import main

    t0 = time.perf_counter()
    code = main(["export", "--out", out, "--format", formats])
    wall = time.perf_counter() - t0
    peak_mb = _peak_mb()
    print(f"RESULT wall_s={wall:.2f} peak_mb={peak_mb:.0f} exit={code}", flush=True)
    return code


def _peak_mb() -> float:
    """This program's peak resident memory in MB: ``VmHWM`` where Linux gives it. (``ru_maxrss`` keeps
    the peak of the process before ``exec``: a child started by a parent holding the pages' rows would
    report the parent's memory, hundreds of MB that are not the export's.)"""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_exports(env: dict[str, str], runs: list[str]) -> None:
    print(f"\nstromal export (a fresh process each); {_load()}")
    print(f"{'formats':<16}{'wall s':>9}{'peak MB':>9}{'files MB':>10}")
    for formats in runs:
        with tempfile.TemporaryDirectory() as out:
            proc = subprocess.run(
                [sys.executable, __file__, "--child-export", formats, out],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT")), "")
            if not line:
                print(f"{formats:<16} failed: {proc.stderr[-500:]}")
                continue
            fields = dict(part.split("=") for part in line.split()[1:])
            size = sum(p.stat().st_size for p in Path(out).iterdir()) / 1e6
            print(
                f"{formats:<16}{float(fields['wall_s']):>9.1f}{float(fields['peak_mb']):>9.0f}{size:>10.1f}",
                flush=True,
            )


def measure_pages(repeat: int) -> None:
    """Each page three ways: cold (nothing remembered: the first view after a change), another
    cohort of the same sites (the rows remembered, the page's figures computed), and the same
    page again (remembered whole). ``repeat`` requests each; median in ms."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from stromal.accounts.models import User
    from stromal.outcomes import memo

    client = Client()
    client.force_login(User.objects.get(username="bench-investigator"))
    client.get("/outcomes/survival/")  # warm-up: lifelines and SciPy imported, templates compiled
    print(f"\nanalytics pages in process, median of {repeat} requests; {_load()}")
    print(f"{'page':<28}{'cold ms':>9}{'new cohort':>11}{'again ms':>10}{'queries':>9}{'status':>8}")

    def timed(url: str) -> tuple[float, int, int]:
        with CaptureQueriesContext(connection) as captured:
            t = time.perf_counter()
            response = client.get(url)
            ms = (time.perf_counter() - t) * 1000
        return ms, len(captured.captured_queries), response.status_code

    for path in PAGES:
        url = f"/outcomes/{path}"
        cold, other, again = [], [], []
        queries = status = 0
        for i in range(repeat):
            memo.forget()
            cold.append(timed(url)[0])
            sep = "&" if "?" in url else "?"
            other.append(timed(f"{url}{sep}sex={'female' if i % 2 else 'male'}&age_band=40-59")[0])
            ms, queries, status = timed(url)
            again.append(ms)
        print(
            f"{url:<28}{statistics.median(cold):>9.0f}{statistics.median(other):>11.0f}"
            f"{statistics.median(again):>10.0f}{queries:>9}{status:>8}",
            flush=True,
        )


def measure_values() -> None:
    """The trajectories' values both ways in this process: every ``InstrumentValue`` built and placed at
    its visit in Python (``instrument_values``, what the page read before) against the database placing
    lean numeric tuples (``numeric_values``, what it reads now); the same values, so the same count."""
    from stromal.outcomes.followup_adapter import instrument_values, numeric_values
    from stromal.outcomes.trajectories import MEASURES
    from stromal.patients.models import Patient

    only = [(m.instrument, m.item) for m in MEASURES]
    ids = list(Patient.objects.order_by("id").values_list("id", flat=True))
    t = time.perf_counter()
    before = [v for v in instrument_values(patient_ids=ids, only=only) if v.value is not None]
    slow = time.perf_counter() - t
    t = time.perf_counter()
    now = numeric_values(site_ids=None, only=only)
    fast = time.perf_counter() - t
    print(f"\ntrajectory values, every site; {_load()}")
    print(f"instrument_values {slow * 1000:>7.0f} ms  {len(before)} values")
    print(
        f"numeric_values    {fast * 1000:>7.0f} ms  {len(now)} values  ({slow / fast:.1f} times faster)",
        flush=True,
    )


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def main() -> int:
    args = _parse()
    if args.child_export:
        import django

        django.setup()
        return child_export(*args.child_export)
    import bench_pathway_load as pathway

    url = pathway._db_url(args.admin_url, args.database)
    if not args.reuse:
        pathway._admin(args.admin_url, f'DROP DATABASE IF EXISTS "{args.database}"')
        pathway._admin(args.admin_url, f'CREATE DATABASE "{args.database}"')
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "STROMAL_ENV": "development",
        "STROMAL_DEBUG": "0",
        "STROMAL_VAR_DIR": str(ROOT / "var" / "bench"),
        "DJANGO_SETTINGS_MODULE": "stromal.settings",
    }
    os.environ.update(env)
    import django

    django.setup()
    try:
        if args.reuse:
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
        else:
            t0 = time.perf_counter()
            pathway.load(args.patients, FIVE_YEARS_DAYS)
            added = add_outcome_data()
            print(f"outcome data added in {time.perf_counter() - t0:.1f} s in all: {added}", flush=True)
        from django.db import connections

        measure_pages(args.repeat)
        measure_values()
        connections.close_all()
        measure_exports(env, args.formats.split(";"))
    finally:
        from django.db import connections

        connections.close_all()
        if not (args.keep or args.reuse):
            pathway._admin(args.admin_url, f'DROP DATABASE IF EXISTS "{args.database}"')
    return 0


if __name__ == "__main__":
    sys.exit(main())
