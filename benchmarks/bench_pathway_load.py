"""Load benchmark of the care pathway on PostgreSQL.

Loads N patients (default 10,000) with full courses — examination,
eligibility, approved plan with two signatures, meeting, consent and accept
decision, released and administered product units, completed administration
sessions with vitals, adverse events, discharge and the follow-up calendar —
plus consultation requests, into a throw-away PostgreSQL database with
``bulk_create``; starts the production server (gunicorn through
``stromal serve``) on localhost; and measures the latency of the patient
page, the worklist and the triage queue under C concurrent clients (default
20; a thread pool, each client with its own keep-alive connection and the
session cookie of a signed-in user). Reports p50 / p95 / p99 and throughput
(the closed-loop saturation throughput, requests/s). Target: p95 < 150 ms.

``--think 2 --users 50`` adds the mode real clinics produce: 50 simulated users, each
signed in as the role of one page group, clicking a page and then thinking for a
mean of 2 s (exponentially distributed) for ``--duration`` seconds; p95 per page.
The analytics pages (cohort, flow, survival, trajectories, safety, as an investigator)
are measured beside the worklists unless ``--no-analytics``.

Before the concurrent run it measures the single-client service time of each
endpoint, which depends far less on other load on the machine:

* over HTTP: N sequential requests from one keep-alive client against the
  same gunicorn server (median and p95 wall time);
* in process: N requests through ``django.test.Client`` against the same
  database, with the number of SQL queries (``CaptureQueriesContext``), the
  wall time and the CPU time of the serving thread (median and p95).

The load average of the machine is printed with every table: on a shared
machine, compare figures only at similar load.

    .venv/bin/python benchmarks/bench_pathway_load.py [--patients 10000] [--clients 20]
        [--requests 1000] [--service 200] [--workers 2] [--threads 4]
        [--think 2 --users 50 --duration 120] [--span-days 900] [--no-analytics]
        [--admin-url postgresql://postgres@127.0.0.1:5432/postgres] [--keep | --reuse]

``--keep`` leaves the database in place afterwards; ``--reuse`` measures a
database kept by an earlier run (it only applies new migrations) and keeps it.

Not a test: it asserts nothing, it prints figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-not-secret-1"
BATCH = 2000


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--patients", type=int, default=10_000)
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--requests", type=int, default=1000, help="measured requests per endpoint")
    p.add_argument("--workers", type=int, default=int(os.environ.get("STROMAL_WORKERS", "2")))
    p.add_argument("--threads", type=int, default=int(os.environ.get("STROMAL_THREADS", "4")))
    p.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    p.add_argument("--database", default="stromal_bench_load")
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    p.add_argument("--reuse", action="store_true", help="measure the database an earlier --keep run left")
    p.add_argument("--service", type=int, default=200, help="sequential single-client requests per endpoint")
    p.add_argument("--no-concurrent", action="store_true", help="skip the concurrent-client run")
    p.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="think-time mode: seconds each simulated user waits between clicks (e.g. 2; 0: off)",
    )
    p.add_argument("--users", type=int, default=50, help="simulated users in think-time mode")
    p.add_argument("--duration", type=float, default=120.0, help="seconds the think-time run lasts")
    p.add_argument(
        "--span-days", type=int, default=900, help="day 0 of the loaded courses lies up to this far back"
    )
    p.add_argument("--no-analytics", action="store_true", help="leave the analytics pages out")
    return p.parse_args()


def _db_url(admin_url: str, name: str) -> str:
    parts = urlsplit(admin_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _admin(admin_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql)


# --- loading ---------------------------------------------------------------------------------


def load(n_patients: int, span_days: int = 900) -> dict[str, Any]:
    """Create the cohort with bulk_create (day 0 up to ``span_days`` back); return ids the clients need."""
    from django.core.management import call_command
    from django.utils import timezone
    from stdnum.iso7064 import mod_37_2

    from stromal.accounts.models import Site, User
    from stromal.administrations.models import AdministrationSession, AdverseEvent, VitalSigns
    from stromal.examinations.models import Encounter, Observation
    from stromal.followup.models import Discharge, FollowUpVisit
    from stromal.followup.schedule import visit_windows
    from stromal.intake.models import ConsultationRequest
    from stromal.patients.models import Patient
    from stromal.plans.models import (
        Consent,
        EligibilityCheck,
        PatientDecision,
        PlanMeeting,
        PlanSignature,
        TreatmentPlan,
    )
    from stromal.products.models import ProductLot
    from stromal.protocols.models import ProtocolVersion
    from stromal.protocols.services import protocols_load_builtin

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    protocols_load_builtin()
    rng = random.Random(20261122)
    site = Site.objects.create(code="bench", name="Benchmark clinic (synthetic)")
    users = {
        role: User.objects.create_user(
            username=f"bench-{role}", password=PASSWORD, role=role.split("2")[0], site=site, printed_name=role
        )
        for role in ("physician", "physician2", "nurse", "coordinator", "lab", "investigator")
    }
    doc, doc2, nurse, lab = users["physician"], users["physician2"], users["nurse"], users["lab"]
    protocols = {p.code: p for p in ProtocolVersion.objects.all()}
    mix = ["clinic-ucmsc-iv-2day"] * 8 + ["start-like-single-iv", "msc-exosome-inhaled-5day"]
    today = timezone.localdate()
    now = timezone.now()

    def bulk(model: Any, rows: list[Any]) -> list[Any]:
        return list(model.objects.bulk_create(rows, batch_size=BATCH))

    patients = bulk(
        Patient,
        [
            Patient(
                site=site,
                mrn=f"BENCH-{i:05d}",
                given_name=f"Given{i}",
                family_name=f"Synthetic{i % 997}",
                sex=rng.choice(["female", "male"]),
                date_of_birth=dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 16000)),
                height_cm=float(rng.randint(155, 190)),
                synthetic=True,
            )
            for i in range(n_patients)
        ],
    )
    day0s = [today - dt.timedelta(days=rng.randint(5, span_days)) for _ in patients]
    when = [timezone.make_aware(dt.datetime.combine(d, dt.time(9, 0))) for d in day0s]
    encounters = bulk(
        Encounter,
        [
            Encounter(patient=p, status="closed", scheduled_for=w, opened_at=w, closed_at=w, closed_by=doc)
            for p, w in zip(patients, when, strict=True)
        ],
    )
    bulk(
        Observation,
        [
            Observation(encounter=e, key=k, value_number=v, unit=u, recorded_by=nurse)
            for e in encounters
            for k, v, u in (
                ("weight_kg", 80.0, "kg"),
                ("pao2_mmhg", 72.0, "mmHg"),
                ("fio2", 0.45, "fraction"),
            )
        ],
    )
    codes = [rng.choice(mix) for _ in patients]
    checks = bulk(
        EligibilityCheck,
        [
            EligibilityCheck(
                patient=p,
                encounter=e,
                protocol_version=protocols[c],
                inputs={},
                results=[],
                eligible=True,
                checked_by=doc,
            )
            for p, e, c in zip(patients, encounters, codes, strict=True)
        ],
    )
    arms = {c: next(a for a in protocols[c].to_protocol().arms if not a.is_control) for c in protocols}
    plans = bulk(
        TreatmentPlan,
        [
            TreatmentPlan(
                patient=p,
                protocol_version=protocols[c],
                arm_name=arms[c].name,
                encounter=e,
                eligibility_check=ch,
                start_date=d0,
                status="approved",
                sex=p.sex,
                height_cm=p.height_cm,
                weight_kg=80.0,
                dose={"n_administrations": arms[c].n_administrations},
                drafted_by=doc,
                approved_at=w,
                first_signer=doc,
                second_signer=doc2,
            )
            for p, e, ch, c, d0, w in zip(patients, encounters, checks, codes, day0s, when, strict=True)
        ],
    )
    bulk(
        PlanSignature,
        [
            PlanSignature(plan=pl, signer=s, printed_name=s.printed_name, plan_version=1)
            for pl in plans
            for s in (doc, doc2)
        ],
    )
    meetings = bulk(
        PlanMeeting,
        [
            PlanMeeting(plan=pl, held_at=w, options_discussed=["conventional", pl.arm_name], recorded_by=doc)
            for pl, w in zip(plans, when, strict=True)
        ],
    )
    through = PlanMeeting.physicians.through
    bulk(
        through,
        [through(planmeeting_id=m.pk, user_id=u.pk) for m in meetings for u in (doc, doc2)],
    )
    consents = bulk(
        Consent,
        [
            Consent(
                plan=pl,
                given_by="Synthetic patient",
                given_at=w,
                witness_name="Synthetic witness",
                information_sheet_version="IS-BENCH-1",
                recorded_by=doc,
            )
            for pl, w in zip(plans, when, strict=True)
        ],
    )
    bulk(
        PatientDecision,
        [
            PatientDecision(plan=pl, plan_version=1, decision="accept", consent=c, meeting=m, recorded_by=doc)
            for pl, c, m in zip(plans, consents, meetings, strict=True)
        ],
    )
    # Products and sessions: one unit per administration day.
    session_rows: list[tuple[TreatmentPlan, int, int, dt.datetime]] = []
    for pl, c, w in zip(plans, codes, when, strict=True):
        for seq, day in enumerate(arms[c].days, start=1):
            session_rows.append((pl, seq, day, w + dt.timedelta(days=day)))
    lots = []
    for i, (pl, _seq, _day, start) in enumerate(session_rows):
        body = f"B0001{(i // 1_000_000) % 100:02d}{i % 1_000_000:06d}"
        product = arms[pl.protocol_version.code].product
        lots.append(
            ProductLot(
                site=site,
                din=body,
                din_check=mod_37_2.calc_check_digit(body),
                product_code="S1234",
                product_type=product.value if product else "uc_msc",
                donor_code="DONOR-SYN",
                volume_ml=50.0,
                viability_pct=90.0,
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
        )
    lots = bulk(ProductLot, lots)
    sessions = bulk(
        AdministrationSession,
        [
            AdministrationSession(
                patient=pl.patient,
                plan=pl,
                sequence=seq,
                protocol_day=day,
                scheduled_date=start.date(),
                route=arms[pl.protocol_version.code].route.value,  # type: ignore[union-attr]
                status="completed",
                product=lot,
                prepared_at=start - dt.timedelta(minutes=20),
                prepared_by=nurse,
                first_checker=nurse,
                second_checker=doc,
                started_at=start,
                started_by=nurse,
                baseline={"fio2": 0.4, "peep_cmh2o": 5.0},
                ended_at=start + dt.timedelta(hours=2),
                volume_given_ml=50.0,
                cells_given=8e7,
            )
            for (pl, seq, day, start), lot in zip(session_rows, lots, strict=True)
        ],
    )
    bulk(
        VitalSigns,
        [
            VitalSigns(
                session=s,
                scheduled_minute=m,
                minutes_since_start=m,
                taken_at=s.started_at + dt.timedelta(minutes=m),  # type: ignore[operator, unused-ignore]
                recorded_by=nurse,
                values={"spo2_pct": 94, "heart_rate_bpm": 90},
            )
            for s in sessions
            for m in (0, 15, 60)
        ],
    )
    bulk(
        AdverseEvent,
        [
            AdverseEvent(
                patient=s.patient,
                session=s,
                term="Fever",
                onset_at=s.started_at,
                ctcae_grade=1 if k % 3 else None,
                graded_by=doc if k % 3 else None,
                graded_at=s.ended_at if k % 3 else None,
                relatedness="possible",
                reported_by=nurse,
            )
            for k, s in enumerate(sessions[::10])
        ],
    )
    bulk(
        Discharge,
        [
            Discharge(
                patient=pl.patient,
                plan=pl,
                discharged_at=w + dt.timedelta(days=3),
                discharged_by=doc,
                examination_findings="Synthetic: chest clear.",
                summary="Synthetic course.",
            )
            for pl, w in zip(plans, when, strict=True)
        ],
    )
    visits = []
    for pl in plans:
        for win in visit_windows(pl.start_date, pl.protocol_version.to_protocol().follow_up):
            past = win.window_end < today
            done = past and rng.random() < 0.8
            visits.append(
                FollowUpVisit(
                    patient=pl.patient,
                    plan=pl,
                    code=win.code,
                    name=win.name,
                    day_offset=win.day_offset,
                    target_date=win.target_date,
                    window_start=win.window_start,
                    window_end=win.window_end,
                    status="completed" if done else "scheduled",
                    completed_on=win.target_date if done else None,
                    completed_by=users["coordinator"] if done else None,
                )
            )
    bulk(FollowUpVisit, visits)
    statuses = ["new"] * 3 + ["contacted", "scheduled", "converted_skip", "declined"]
    requests = []
    for i in range(max(200, n_patients // 5)):
        status = rng.choice(statuses)
        if status == "converted_skip":
            status = "contacted"
        requests.append(
            ConsultationRequest(
                site=site,
                full_name=f"Requester {i} (synthetic)",
                contact_method="email",
                email=f"r{i}@example.invalid",
                condition="Synthetic: breathless after ARDS.",
                status=status,
                decline_reason="Synthetic: out of scope" if status == "declined" else "",
                synthetic=True,
            )
        )
    bulk(ConsultationRequest, requests)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    elapsed = time.perf_counter() - t0
    print(
        f"loaded {len(patients)} patients, {len(sessions)} sessions, {len(lots)} units, "
        f"{len(visits)} follow-up visits, {len(requests)} requests in {elapsed:.1f} s",
        flush=True,
    )
    _ = now
    return {"patient_ids": [p.pk for p in patients]}


# --- serving and measuring -----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serve(env: dict[str, str], workers: int, threads: int) -> Iterator[int]:
    port = _free_port()
    cmd = [
        str(Path(sys.executable).with_name("stromal")),
        "serve",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
    ]
    log = open(os.devnull, "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            raise RuntimeError("the server did not start within 60 s")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


class Client:
    """One keep-alive connection with the session cookie of a signed-in user."""

    def __init__(self, port: int, username: str) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}
        page = self._request("GET", "/accounts/login/")
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if not match:
            raise RuntimeError("no CSRF token on the login page")
        body = urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": match.group(1)})
        self._request("POST", "/accounts/login/", body, {"Content-Type": "application/x-www-form-urlencoded"})
        if "sessionid" not in self.cookies:
            raise RuntimeError(f"login of {username} failed")

    def _request(
        self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None
    ) -> str:
        head = dict(headers or {})
        if self.cookies:
            head["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.conn.request(method, path, body=body, headers=head)
        response = self.conn.getresponse()
        text = response.read().decode()
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return text

    def timed_get(self, path: str) -> tuple[float, int]:
        """One GET on the kept-alive connection; an idle connection the server closed is reopened."""
        head = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        t = time.perf_counter()
        try:
            self.conn.request("GET", path, headers=head)
            response = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            t = time.perf_counter()
            self.conn.request("GET", path, headers=head)
            response = self.conn.getresponse()
        response.read()
        return (time.perf_counter() - t) * 1000, response.status


def _quantiles(values: list[float]) -> dict[str, float]:
    """Median, p95 and p99 of ``values`` (inclusive method: stable for a few hundred samples)."""
    ordered = sorted(values)
    if len(ordered) < 2:
        only = ordered[0] if ordered else float("nan")
        return {"p50": only, "p95": only, "p99": only}
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50": statistics.median(ordered), "p95": q[94], "p99": q[98]}


def _load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def measure(port: int, username: str, paths: list[str], clients: int, n: int) -> dict[str, float]:
    pool = [Client(port, username) for _ in range(clients)]

    def worker(k: int) -> list[tuple[float, int]]:
        client = pool[k]
        return [client.timed_get(paths[(i * 7919) % len(paths)]) for i in range(k, n, clients)]

    # Warm-up: every client once, every worker process touched.
    with ThreadPoolExecutor(clients) as ex:
        list(ex.map(lambda k: pool[k].timed_get(paths[k % len(paths)]), range(clients)))
    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as ex:
        results = [r for chunk in ex.map(worker, range(clients)) for r in chunk]
    wall = time.perf_counter() - t0
    for c in pool:
        c.conn.close()
    errors = sum(1 for _, status in results if status != 200)
    return {
        "n": len(results),
        "errors": errors,
        **_quantiles([ms for ms, _ in results]),
        "rps": len(results) / wall,
    }


def measure_think_time(
    port: int, endpoints: list[tuple[str, str, list[str]]], users: int, think_s: float, duration_s: float
) -> dict[str, dict[str, float]]:
    """Open-loop-like load of real clinic users: ``users`` simulated people, each signed in as the
    role of one endpoint group (round robin), each clicking one of its pages, then thinking for
    ``think_s`` seconds (drawn from an exponential distribution with that mean, so clicks do not
    fall into lockstep), for ``duration_s`` seconds. Returns per-endpoint latency quantiles."""
    by_user = [endpoints[k % len(endpoints)] for k in range(users)]
    pool = [Client(port, username) for _, username, _ in by_user]
    latencies: dict[str, list[float]] = {label: [] for label, _, _ in endpoints}
    errors: dict[str, int] = dict.fromkeys(latencies, 0)
    stop = time.perf_counter() + duration_s

    def person(k: int) -> None:
        label, _, paths = by_user[k]
        rng = random.Random(k)
        time.sleep(rng.uniform(0, think_s))  # people do not all start at the same instant
        while time.perf_counter() < stop:
            ms, status = pool[k].timed_get(rng.choice(paths))
            latencies[label].append(ms)
            errors[label] += status != 200
            time.sleep(rng.expovariate(1 / think_s) if think_s > 0 else 0)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(users) as ex:
        list(ex.map(person, range(users)))
    wall = time.perf_counter() - t0
    for c in pool:
        c.conn.close()
    return {
        label: {"n": len(v), "errors": errors[label], **_quantiles(v), "rps": len(v) / wall}
        for label, v in latencies.items()
    }


def measure_single_http(port: int, username: str, paths: list[str], n: int) -> dict[str, float]:
    """Service time seen by one client alone: ``n`` sequential requests on one keep-alive connection."""
    client = Client(port, username)
    for i in range(min(10, n)):  # warm-up: template compilation, connection to the database
        client.timed_get(paths[i % len(paths)])
    results = [client.timed_get(paths[(i * 7919) % len(paths)]) for i in range(n)]
    client.conn.close()
    return {
        "n": len(results),
        "errors": sum(1 for _, status in results if status != 200),
        **_quantiles([ms for ms, _ in results]),
    }


def measure_in_process(username: str, paths: list[str], n: int) -> dict[str, float]:
    """``n`` requests through the whole Django stack in this process: queries, wall and CPU time."""
    from django.db import connection
    from django.test import Client as DjangoClient
    from django.test.utils import CaptureQueriesContext

    from stromal.accounts.models import User

    client = DjangoClient()
    client.force_login(User.objects.get(username=username))
    for i in range(min(10, n)):
        client.get(paths[i % len(paths)])
    walls, cpus, queries, errors = [], [], [], 0
    for i in range(n):
        path = paths[(i * 7919) % len(paths)]
        with CaptureQueriesContext(connection) as captured:
            t, c = time.perf_counter(), time.thread_time()
            response = client.get(path)
            cpus.append((time.thread_time() - c) * 1000)
            walls.append((time.perf_counter() - t) * 1000)
        queries.append(len(captured.captured_queries))
        errors += response.status_code != 200
    wall, cpu = _quantiles(walls), _quantiles(cpus)
    return {
        "n": n,
        "errors": errors,
        "wall_p50": wall["p50"],
        "wall_p95": wall["p95"],
        "cpu_p50": cpu["p50"],
        "cpu_p95": cpu["p95"],
        "queries_p50": statistics.median(queries),
        "queries_max": max(queries),
    }


def _patient_ids(args: argparse.Namespace) -> list[int]:
    if args.reuse:
        from django.core.management import call_command

        from stromal.patients.models import Patient

        call_command("migrate", verbosity=0)
        ids = list(Patient.objects.filter(site__code="bench").values_list("pk", flat=True))
        if not ids:
            raise SystemExit(
                f"--reuse: database {args.database!r} holds no benchmark cohort; run with --keep first"
            )
        print(f"reusing {len(ids)} patients in {args.database}", flush=True)
        return ids
    return list(load(args.patients, args.span_days)["patient_ids"])


def main() -> int:
    args = _parse()
    url = _db_url(args.admin_url, args.database)
    if not args.reuse:
        _admin(args.admin_url, f'DROP DATABASE IF EXISTS "{args.database}"')
        _admin(args.admin_url, f'CREATE DATABASE "{args.database}"')
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "STROMAL_ENV": "development",
        "STROMAL_DEBUG": "0",
        "STROMAL_DB_CONN_MAX_AGE": "600",
        "STROMAL_VAR_DIR": str(ROOT / "var" / "bench"),
        "DJANGO_SETTINGS_MODULE": "stromal.settings",
        # The pages are measured for users already signed in with their second factor: without this,
        # a physician's every request is a redirect to the MFA set-up page (the OTP middleware
        # still runs on every request, so its cost is in the figures).
        "STROMAL_MFA_REQUIRED_ROLES": "",
    }
    os.environ.update(env)
    import django

    django.setup()
    try:
        ids = _patient_ids(args)
        from django.db import connections

        connections.close_all()
        sample = random.Random(7).sample(ids, min(500, len(ids)))
        endpoints = [
            ("patient page", "bench-physician", [f"/pathway/patients/{pk}/" for pk in sample]),
            ("worklist (physician)", "bench-physician", ["/pathway/worklist/"]),
            ("worklist (coordinator)", "bench-coordinator", ["/pathway/worklist/"]),
            ("triage queue", "bench-coordinator", ["/intake/"]),
        ]
        if not args.no_analytics:
            endpoints += [
                (f"analytics {name}", "bench-investigator", [f"/outcomes/{path}"])
                for name, path in (
                    ("cohort", ""),
                    ("flow", "flow/"),
                    ("survival", "survival/"),
                    ("trajectories", "trajectories/"),
                    ("safety", "safety/"),
                )
            ]
        print(f"\nsingle client, in process ({args.service} sequential requests each); {_load_average()}")
        print(
            f"{'endpoint':<24}{'queries':>8}{'wall p50':>10}{'wall p95':>10}{'CPU p50':>9}{'CPU p95':>9}"
            f"{'errors':>8}   (ms)"
        )
        for label, user, paths in endpoints:
            r = measure_in_process(user, paths, args.service)
            queries = f"{r['queries_p50']:.0f}" + ("" if r["queries_max"] == r["queries_p50"] else "+")
            print(
                f"{label:<24}{queries:>8}{r['wall_p50']:>10.1f}{r['wall_p95']:>10.1f}{r['cpu_p50']:>9.1f}"
                f"{r['cpu_p95']:>9.1f}{int(r['errors']):>8}",
                flush=True,
            )
        connections.close_all()
        with serve(env, args.workers, args.threads) as port:
            print(
                f"\nsingle client over HTTP, gunicorn {args.workers} workers × {args.threads} threads "
                f"({args.service} sequential requests each); {_load_average()}"
            )
            print(f"{'endpoint':<24}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
            for label, user, paths in endpoints:
                r = measure_single_http(port, user, paths, args.service)
                print(
                    f"{label:<24}{r['p50']:>9.1f}{r['p95']:>9.1f}{r['p99']:>9.1f}{int(r['errors']):>8}",
                    flush=True,
                )
            if not args.no_concurrent:
                print(
                    f"\n{args.clients} concurrent clients, gunicorn {args.workers} workers × {args.threads} "
                    f"threads, {args.requests} requests per endpoint; {_load_average()}",
                    flush=True,
                )
                print(f"{'endpoint':<24}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>8}{'errors':>8}")
                for label, user, paths in endpoints:
                    r = measure(port, user, paths, args.clients, args.requests)
                    flag = "" if r["p95"] < 150 else "  (above the 150 ms target)"
                    print(
                        f"{label:<24}{r['p50']:>9.1f}{r['p95']:>9.1f}{r['p99']:>9.1f}{r['rps']:>8.1f}"
                        f"{int(r['errors']):>8}{flag}",
                        flush=True,
                    )
                print(f"after the run: {_load_average()}")
            if args.think > 0:
                print(
                    f"\n{args.users} simulated users, {args.think:g} s mean think time, {args.duration:g} s, "
                    f"gunicorn {args.workers} workers × {args.threads} threads; {_load_average()}",
                    flush=True,
                )
                print(
                    f"{'endpoint':<24}{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>8}{'errors':>8}"
                )
                think = measure_think_time(port, endpoints, args.users, args.think, args.duration)
                for label, r in think.items():
                    flag = "" if r["p95"] < 150 else "  (above the 150 ms target)"
                    print(
                        f"{label:<24}{int(r['n']):>7}{r['p50']:>9.1f}{r['p95']:>9.1f}{r['p99']:>9.1f}{r['rps']:>8.1f}"
                        f"{int(r['errors']):>8}{flag}",
                        flush=True,
                    )
                print(f"after the think-time run: {_load_average()}")
    finally:
        from django.db import connections

        connections.close_all()
        if not (args.keep or args.reuse):
            _admin(args.admin_url, f'DROP DATABASE IF EXISTS "{args.database}"')
    return 0


if __name__ == "__main__":
    sys.exit(main())
