"""The patient page draws the course: its data blocks and tables, from this patient's records and protocol."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from stromal.administrations.models import AdministrationSession
from stromal.administrations.services import session_record_given, vitals_record
from stromal.clinical.protocol import builtin_protocols
from stromal.protocols.models import definition_from_protocol
from stromal.protocols.services import protocol_add_version
from tests.administrations.factories import ready_plan, running_session
from tests.pathway.factories import CLINIC, START, make_patient

pytestmark = pytest.mark.django_db


def _record(cast: Any, session: AdministrationSession, minute: int, **values: Any) -> None:
    assert session.started_at is not None
    vitals_record(
        session=session,
        user=cast.nina,
        values=values,
        taken_at=session.started_at + dt.timedelta(minutes=minute),
        scheduled_minute=minute,
    )


def _treated(cast: Any, mrn: str = "MRN-0001", code: str = CLINIC) -> AdministrationSession:
    """A patient with a Day 1 examination (P/F 70 / 0.4 = 175) and a running administration with vitals."""
    session = running_session(cast, ready_plan(cast, code, mrn=mrn))
    _record(cast, session, 15, spo2_pct=95, heart_rate_bpm=91, fio2=0.45, peep_cmh2o=6)
    return session


def _page(client: Any, user: Any, patient_id: int) -> str:
    client.force_login(user)
    response = client.get(reverse("pathway:patient", args=[patient_id]))
    assert response.status_code == 200
    return str(response.content.decode())


def _figure(page: str, block_id: str) -> dict[str, Any]:
    found = re.search(rf'<script id="{block_id}" type="application/json">(.*?)</script>', page, re.S)
    assert found, f"no data block {block_id}"
    figure: dict[str, Any] = json.loads(found.group(1))
    return figure


def _stop_lines(figure: dict[str, Any]) -> list[tuple[str, float]]:
    return [(s["yref"], s["y0"]) for s in figure["layout"]["shapes"] if s["label"]["text"].startswith("stop")]


def test_the_patient_page_draws_oxygenation_and_each_administrations_vitals_with_tables(
    client: Any, cast: Any
) -> None:
    session = _treated(cast)
    page = _page(client, cast.alice, session.patient_id)
    oxygenation = _figure(page, "chart-oxygenation-figure")
    pf = oxygenation["data"][0]
    assert pf["name"] == "P/F ratio" and pf["y"] == [175.0]
    spo2 = next(t for t in oxygenation["data"] if t["name"] == "SpO2")
    # The Day 1 examination (91 %), the baseline (93 %) and 15 min (95 %), in the order they were taken.
    assert sorted(spo2["y"]) == [91, 93, 95] and spo2["x"] == sorted(spo2["x"])
    vitals = _figure(page, f"chart-vitals-{session.pk}-figure")
    assert next(t for t in vitals["data"] if t["name"] == "Heart rate")["y"] == [96, 91]
    assert '<table class="chart-table">' in page and f"<caption>Vitals through {session}</caption>" in page
    assert '<th scope="col">SpO2 (%)</th>' in page and "<td>175</td>" in page


def test_the_stopping_limits_come_from_the_protocol_the_session_follows(client: Any, cast: Any) -> None:
    # Two copies of one protocol that differ only in their stopping rules; the same baseline (on NIV).
    start_like = next(p for p in builtin_protocols() if p.code == START)
    definition = definition_from_protocol(start_like)
    definition.update(
        code="lanzoni-like-single-iv", title="Lanzoni-like stopping rules", stopping_rules="lanzoni"
    )
    protocol_add_version(user=cast.ada, definition=definition)
    start_session = _treated(cast, "MRN-START", START)
    lanzoni_session = _treated(cast, "MRN-LANZONI", "lanzoni-like-single-iv")

    # START: FiO2 0.4 + 0.2 and PEEP 5 + 5, each on its own panel.
    page = _page(client, cast.alice, start_session.patient_id)
    figure = _figure(page, f"chart-vitals-{start_session.pk}-figure")
    panels = {a["text"]: a["xref"].split()[0].replace("x", "y") for a in figure["layout"]["annotations"]}
    assert _stop_lines(figure) == [(panels["FiO2 (fraction)"], 0.6), (panels["PEEP/CPAP (cmH2O)"], 10.0)]
    assert "START trial rules (Matthay 2019)" in page
    # Lanzoni 2021: FiO2 and PEEP are limited only on invasive ventilation.
    page = _page(client, cast.alice, lanzoni_session.patient_id)
    assert _stop_lines(_figure(page, f"chart-vitals-{lanzoni_session.pk}-figure")) == []
    assert "Lanzoni 2021 rules" in page


def test_a_patient_with_nothing_measured_yet_reads_no_data_yet_instead_of_empty_charts(
    client: Any, cast: Any
) -> None:
    patient = make_patient(cast.cora)
    page = _page(client, cast.nina, patient.pk)
    assert "No P/F ratio, SpO2 or FiO2 recorded yet" in page and "No administration has started yet" in page
    assert (
        'type="application/json"' not in page and "plotly" not in page
    )  # nothing to draw: no Plotly.js either


def test_every_script_on_the_patient_page_is_a_file_of_this_server_or_a_data_block(
    client: Any, cast: Any
) -> None:
    page = _page(client, cast.alice, _treated(cast).patient_id)
    scripts = re.findall(r"<script\b([^>]*)>", page)
    assert scripts and all('src="/static/' in s or 'type="application/json"' in s for s in scripts)
    assert " on" not in " ".join(re.findall(r"<[a-z]+ [^>]*\bon[a-z]+=", page))  # no inline handlers


def test_an_outsider_of_another_site_and_an_anonymous_visitor_see_no_chart(client: Any, cast: Any) -> None:
    session = _treated(cast)
    url = reverse("pathway:patient", args=[session.patient_id])
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    client.force_login(cast.oscar)
    assert client.get(url).status_code == 404


def test_the_charts_cost_one_query_whatever_the_number_of_administrations_and_vitals(
    client: Any, cast: Any
) -> None:
    short = _treated(cast, "MRN-SHORT")
    long = _treated(cast, "MRN-LONG")
    for minute in (30, 60):
        _record(cast, long, minute, spo2_pct=94, heart_rate_bpm=88)
    long.refresh_from_db()
    session_record_given(
        session=long, user=cast.nina, version=long.version, volume_given_ml=50, cells_given=8e7
    )
    second = running_session(cast, long.plan, sequence=2)
    _record(cast, second, 15, spo2_pct=96, heart_rate_bpm=84)
    client.force_login(cast.alice)
    client.get(reverse("patients:list"))  # the first page after sign-in also records the session's start

    def queries(patient_id: int) -> tuple[int, str]:
        with CaptureQueriesContext(connection) as captured:
            page = client.get(reverse("pathway:patient", args=[patient_id])).content.decode()
        return len(captured.captured_queries), page

    n_short, _ = queries(short.patient_id)
    n_long, page = queries(long.patient_id)
    assert f"chart-vitals-{second.pk}-figure" in page and f"chart-vitals-{long.pk}-figure" in page
    assert n_long == n_short <= 13
