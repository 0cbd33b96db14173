"""FHIR benchmark on PostgreSQL: ``$everything`` for a patient with five years of follow-up, and the
bulk ``$export`` of 10,000 patients through the database-backed task worker.

1. Loads the 10,000-patient cohort of ``bench_pathway_load.py`` (full courses: examination, plan with
   signatures and consent, administered units, sessions with vitals, adverse events, discharge,
   follow-up calendar) into a throw-away database, plus one patient followed for five years: the
   Day 1 examination (27 values and its assessment), two administrations with vitals every 15
   minutes, two adverse events, discharge, the eight protocol visits (Day 28 to Year 5) all done,
   and a follow-up examination every three months for five years (12 values and an assessment each).
2. ``$everything`` of that patient, in process through the whole Django stack with an API token
   (authentication, the audited token use, the Bundle as JSON): median and p95 wall time over
   ``--requests`` calls, SQL queries, resources and bytes. Target: < 300 ms.
3. Bulk export of every patient (pseudonymised): kick-off, then ``stromal worker --batch`` in a
   separate process, timed from the kick-off to the completed job (worker start-up included) and
   as the job's own start-to-finish; resources and bytes per file. Target: < 2 minutes.

    .venv/bin/python benchmarks/bench_fhir.py [--patients 10000] [--requests 50]
        [--admin-url postgresql://postgres@127.0.0.1:5432/postgres] [--keep | --reuse]

Not a test: it asserts nothing, it prints figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import bench_pathway_load as cohort  # noqa: E402  (the cohort loader of the pathway benchmark)


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--patients", type=int, default=10_000)
    p.add_argument("--requests", type=int, default=50, help="timed $everything calls")
    p.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    p.add_argument("--database", default="stromal_bench_fhir")
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    p.add_argument("--reuse", action="store_true", help="measure the database an earlier --keep run left")
    return p.parse_args()


# --- the patient with five years of follow-up ------------------------------------------------------

DAY1 = {
    "weight_kg": 78.0,
    "temperature_c": 38.1,
    "heart_rate_bpm": 104.0,
    "respiratory_rate_per_min": 28.0,
    "systolic_bp_mmhg": 112.0,
    "diastolic_bp_mmhg": 68.0,
    "spo2_pct": 90.0,
    "pao2_mmhg": 64.0,
    "fio2": 0.5,
    "peep_cmh2o": 8.0,
    "support": "niv",
    "bilateral_opacities": True,
    "onset_within_7_days": True,
    "edema_explained_by_cardiac_or_fluid": False,
    "chest_xray_quadrants": 3,
    "crp_mg_dl": 14.0,
    "il6_pg_ml": 95.0,
    "ferritin_ng_ml": 1200.0,
    "d_dimer_ng_ml": 1800.0,
    "ldh_u_l": 420.0,
    "platelets_10e3_per_ul": 170.0,
    "wbc_10e3_per_ul": 11.2,
    "lymphocytes_10e3_per_ul": 0.7,
    "hemoglobin_g_dl": 12.1,
    "creatinine_mg_dl": 0.9,
    "bilirubin_mg_dl": 0.8,
    "gcs": 15,
}


def _follow_up_values(quarter: int) -> dict[str, Any]:
    return {
        "weight_kg": 76.0 + quarter * 0.1,
        "heart_rate_bpm": 80.0,
        "respiratory_rate_per_min": 16.0,
        "spo2_pct": 95.0 + min(quarter, 3),
        "fvc_l": 2.9 + quarter * 0.02,
        "fvc_pct_predicted": 72.0 + quarter,
        "dlco_pct_predicted": 60.0 + quarter,
        "six_minute_walk_m": 380.0 + quarter * 5,
        "mmrc_grade": max(0, 2 - quarter // 6),
        "crp_mg_dl": 0.4,
        "hemoglobin_g_dl": 13.5,
        "platelets_10e3_per_ul": 240.0,
    }


def load_long_follow_up() -> int:
    """The five-year patient, with bulk_create (the services refuse back-dated records by design)."""
    from django.utils import timezone
    from stdnum.iso7064 import mod_37_2

    from stromal.accounts.models import Site, User
    from stromal.administrations.models import AdministrationSession, AdverseEvent, VitalSigns
    from stromal.examinations.assessing import assessment_inputs, run_assessments
    from stromal.examinations.fields import SPECS
    from stromal.examinations.models import Assessment, Encounter, Observation
    from stromal.followup.models import Discharge, FollowUpVisit
    from stromal.followup.schedule import visit_windows
    from stromal.patients.models import Patient
    from stromal.plans.models import Consent, EligibilityCheck, PatientDecision, PlanSignature, TreatmentPlan
    from stromal.products.models import ProductLot
    from stromal.protocols.models import ProtocolVersion

    site = Site.objects.get(code="bench")
    doc = User.objects.get(username="bench-physician")
    doc2 = User.objects.get(username="bench-physician2")
    nurse = User.objects.get(username="bench-nurse")
    lab = User.objects.get(username="bench-lab")
    protocol = ProtocolVersion.objects.filter(code="clinic-ucmsc-iv-2day").latest("created_at", "id")
    arm = next(a for a in protocol.to_protocol().arms if not a.is_control)
    day0 = timezone.localdate() - dt.timedelta(days=5 * 365 + 30)
    at9 = timezone.make_aware(dt.datetime.combine(day0, dt.time(9, 0)))
    patient = Patient.objects.create(
        site=site,
        mrn="BENCH-FIVE-YEARS",
        given_name="Five",
        family_name="Years",
        sex="female",
        date_of_birth=dt.date(1968, 3, 14),
        height_cm=166.0,
        synthetic=True,
    )

    def examination(when: dt.datetime, values: dict[str, Any], kind: str) -> Encounter:
        encounter = Encounter.objects.create(
            patient=patient,
            kind=kind,
            status="closed",
            scheduled_for=when,
            opened_at=when,
            closed_at=when,
            closed_by=doc,
        )
        Observation.objects.bulk_create(
            [
                Observation(
                    encounter=encounter,
                    key=k,
                    recorded_by=nurse,
                    unit=SPECS[k].unit[:20],
                    value_number=float(v) if not isinstance(v, bool | str) else None,
                    value_boolean=v if isinstance(v, bool) else None,
                    value_text=v if isinstance(v, str) else "",
                )
                for k, v in values.items()
            ]
        )
        inputs = assessment_inputs(encounter=encounter, values=values)
        version, results = run_assessments(inputs)
        Assessment.objects.create(
            encounter=encounter, sequence=1, rules_version=version, inputs=inputs, results=results
        )
        return encounter

    day1 = examination(at9, DAY1, "examination")
    check = EligibilityCheck.objects.create(
        patient=patient,
        encounter=day1,
        protocol_version=protocol,
        inputs={},
        results=[],
        eligible=True,
        checked_by=doc,
    )
    plan = TreatmentPlan.objects.create(
        patient=patient,
        protocol_version=protocol,
        arm_name=arm.name,
        encounter=day1,
        eligibility_check=check,
        start_date=day0,
        status="approved",
        sex="female",
        height_cm=166.0,
        weight_kg=78.0,
        dose={"n_administrations": arm.n_administrations},
        drafted_by=doc,
        approved_at=at9,
        first_signer=doc,
        second_signer=doc2,
    )
    PlanSignature.objects.bulk_create(
        [PlanSignature(plan=plan, signer=s, printed_name=s.printed_name, plan_version=1) for s in (doc, doc2)]
    )
    consent = Consent.objects.create(
        plan=plan,
        given_by="Synthetic patient",
        given_at=at9,
        witness_name="Synthetic witness",
        information_sheet_version="IS-BENCH-1",
        recorded_by=doc,
    )
    PatientDecision.objects.create(
        plan=plan, plan_version=1, decision="accept", consent=consent, recorded_by=doc
    )
    sessions = []
    for seq, day in enumerate(arm.days, start=1):
        start = at9 + dt.timedelta(days=day)
        body = f"B0009{seq:02d}{999000 + seq:06d}"
        lot = ProductLot.objects.create(
            site=site,
            din=body,
            din_check=mod_37_2.calc_check_digit(body),
            product_code="S1234",
            product_type="uc_msc",
            donor_code="DONOR-SYN",
            volume_ml=50.0,
            viability_pct=91.0,
            cell_count=1e8,
            sterility="no_growth",
            mycoplasma="negative",
            endotoxin_eu_per_ml=0.1,
            expires_at=start + dt.timedelta(days=60),
            thawed_at=start - dt.timedelta(minutes=20),
            thaw_expires_at=start + dt.timedelta(hours=4),
            status="administered",
            released_by=lab,
            released_at=start - dt.timedelta(days=3),
        )
        session = AdministrationSession.objects.create(
            patient=patient,
            plan=plan,
            sequence=seq,
            protocol_day=day,
            scheduled_date=start.date(),
            route="iv",
            status="completed",
            product=lot,
            prepared_at=start - dt.timedelta(minutes=20),
            prepared_by=nurse,
            first_checker=nurse,
            second_checker=doc,
            started_at=start,
            started_by=nurse,
            baseline={"fio2": 0.4},
            ended_at=start + dt.timedelta(hours=2),
            volume_given_ml=50.0,
            cells_given=8e7,
        )
        sessions.append(session)
        VitalSigns.objects.bulk_create(
            [
                VitalSigns(
                    session=session,
                    scheduled_minute=m,
                    minutes_since_start=m,
                    recorded_by=nurse,
                    taken_at=start + dt.timedelta(minutes=m),
                    values={
                        "heart_rate_bpm": 88,
                        "systolic_bp_mmhg": 118,
                        "diastolic_bp_mmhg": 72,
                        "respiratory_rate_per_min": 20,
                        "spo2_pct": 94,
                        "temperature_c": 37.2,
                    },
                )
                for m in range(0, 121, 15)
            ]
        )
        AdverseEvent.objects.create(
            patient=patient,
            session=session,
            term="Fever",
            onset_at=start + dt.timedelta(minutes=45),
            ctcae_grade=1,
            graded_by=doc,
            graded_at=start + dt.timedelta(hours=3),
            relatedness="possible",
            outcome="recovered",
            reported_by=nurse,
        )
    Discharge.objects.create(
        patient=patient,
        plan=plan,
        discharged_at=at9 + dt.timedelta(days=3),
        discharged_by=doc,
        examination_findings="Synthetic: chest clear.",
        summary="Synthetic course.",
    )
    FollowUpVisit.objects.bulk_create(
        [
            FollowUpVisit(
                patient=patient,
                plan=plan,
                code=w.code,
                name=w.name,
                day_offset=w.day_offset,
                target_date=w.target_date,
                window_start=w.window_start,
                window_end=w.window_end,
                status="completed",
                completed_on=w.target_date,
                completed_by=nurse,
            )
            for w in visit_windows(day0, protocol.to_protocol().follow_up)
        ]
    )
    for quarter in range(1, 21):
        examination(at9 + dt.timedelta(days=91 * quarter), _follow_up_values(quarter), "follow_up")
    return patient.pk


# --- measuring ------------------------------------------------------------------------------------


def measure_everything(patient_id: int, n: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from stromal.accounts.models import User
    from stromal.api.services import api_token_create

    _, token = api_token_create(
        user=User.objects.get(username="bench-physician"), name="benchmark", actor=None
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    url = f"/fhir/Patient/{patient_id}/$everything"
    for _ in range(3):
        response = client.get(url)
    walls, cpus = [], []
    for _ in range(n):
        with CaptureQueriesContext(connection) as captured:
            t, c = time.perf_counter(), time.thread_time()
            response = client.get(url)
            cpus.append((time.thread_time() - c) * 1000)
            walls.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200, response.status_code
    bundle = response.json()
    ordered = sorted(walls)
    kinds: dict[str, int] = {}
    for entry in bundle["entry"]:
        kinds[entry["resource"]["resourceType"]] = kinds.get(entry["resource"]["resourceType"], 0) + 1
    return {
        "p50": statistics.median(walls),
        "p95": ordered[max(0, int(0.95 * len(ordered)) - 1)],
        "max": ordered[-1],
        "cpu_p50": statistics.median(cpus),
        "queries": len(captured.captured_queries),
        "resources": len(bundle["entry"]),
        "kinds": kinds,
        "bytes": len(response.content),
    }


def measure_export(env: dict[str, str]) -> dict[str, Any]:
    from django.db import connections
    from django.test import RequestFactory

    from stromal.accounts.models import User
    from stromal.fhir.export import export_kickoff
    from stromal.fhir.models import ExportJob, ExportStatus

    user = User.objects.get(username="bench-physician")
    request = RequestFactory().get("/fhir/$export")
    t0 = time.perf_counter()
    job = export_kickoff(user=user, request_url=request.build_absolute_uri())
    connections.close_all()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker = subprocess.run(
        [sys.executable, "-m", "stromal.cli", "worker", "--batch"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    job = ExportJob.objects.get(pk=job.pk)
    if job.status != ExportStatus.COMPLETED:
        print(worker.stdout[-2000:], worker.stderr[-4000:])
        raise SystemExit(f"export ended {job.status}: {job.error}")
    assert job.started_at and job.finished_at
    from stromal.fhir.export import export_dir

    sizes = {p.name: p.stat().st_size for p in export_dir(job.pk).iterdir()}
    return {
        "wall_s": wall,
        "worker_cpu_s": worker_cpu,
        "job_s": (job.finished_at - job.started_at).total_seconds(),
        "patients": job.patients_total,
        "output": job.output,
        "bytes": sum(sizes.values()),
    }


def main() -> int:
    args = _parse()
    url = cohort._db_url(args.admin_url, args.database)
    if not args.reuse:
        cohort._admin(args.admin_url, f'DROP DATABASE IF EXISTS "{args.database}"')
        cohort._admin(args.admin_url, f'CREATE DATABASE "{args.database}"')
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "STROMAL_ENV": "development",
        "STROMAL_DEBUG": "0",
        "STROMAL_DB_CONN_MAX_AGE": "600",
        "STROMAL_VAR_DIR": str(ROOT / "var" / "bench"),
        "DJANGO_SETTINGS_MODULE": "stromal.settings",
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from stromal.patients.models import Patient

    try:
        if args.reuse:
            call_command("migrate", verbosity=0)
        else:
            cohort.load(args.patients)
        five = Patient.objects.filter(mrn="BENCH-FIVE-YEARS").values_list("pk", flat=True).first()
        if five is None:
            five = load_long_follow_up()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(
            f"\n$everything, patient with five years of follow-up, in process with an API token; {cohort._load_average()}"
        )
        r = measure_everything(five, args.requests)
        flag = "" if r["p95"] < 300 else "  (above the 300 ms target)"
        print(
            f"  {r['resources']} resources, {r['bytes'] / 1024:.0f} KiB, {r['queries']} SQL queries per call\n"
            f"  p50 {r['p50']:.1f} ms   p95 {r['p95']:.1f} ms   max {r['max']:.1f} ms{flag}"
            f"   (CPU of this process, p50 {r['cpu_p50']:.1f} ms)\n"
            f"  {', '.join(f'{k} {v}' for k, v in sorted(r['kinds'].items()))}",
            flush=True,
        )
        total = Patient.objects.count()
        print(
            f"\nbulk $export of {total} patients (pseudonymised), database task worker; {cohort._load_average()}"
        )
        e = measure_export(env)
        flag = "" if e["wall_s"] < 120 else "  (above the 2-minute target)"
        resources = sum(item["count"] for item in e["output"])
        files = ", ".join(f"{item['type']} {item['count']}" for item in e["output"])
        print(
            f"  kick-off to done {e['wall_s']:.1f} s (worker start-up included){flag}; the job itself {e['job_s']:.1f} s;"
            f" the worker's CPU time {e['worker_cpu_s']:.1f} s\n"
            f"  {e['patients']} patients, {resources} resources, {e['bytes'] / 2**20:.0f} MiB NDJSON, "
            f"{e['patients'] / e['job_s']:.0f} patients/s\n"
            f"  {files}\n"
            f"after the run: {cohort._load_average()}",
            flush=True,
        )
    finally:
        from django.db import connections

        connections.close_all()
        if not (args.keep or args.reuse):
            cohort._admin(args.admin_url, f'DROP DATABASE IF EXISTS "{args.database}"')
    return 0


if __name__ == "__main__":
    sys.exit(main())
