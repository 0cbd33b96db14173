"""The patient's course, drawn in Chromium: Plotly renders every chart from this server's files under the
coming Content-Security-Policy, with no console error; without JavaScript the tables are the page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from stromal.administrations.services import vitals_record
from tests.administrations.factories import ready_plan, running_session

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]

# The coming policy (django-csp, being added beside this work): everything from this server only,
# no inline script or style.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def _treated_patient(cast: Any) -> tuple[int, int]:
    session = running_session(cast, ready_plan(cast))
    assert session.started_at is not None
    for minute, spo2, heart in ((15, 95, 90), (30, 96, 86)):
        vitals_record(
            session=session,
            user=cast.nina,
            values={"spo2_pct": spo2, "heart_rate_bpm": heart, "fio2": 0.4, "peep_cmh2o": 5},
            taken_at=session.started_at + dt.timedelta(minutes=minute),
            scheduled_minute=minute,
        )
    return session.patient_id, session.pk


def _with_policy(route: Any) -> None:
    response = route.fetch()
    route.fulfill(response=response, headers={**response.headers, "content-security-policy": CSP})


def test_the_patient_page_draws_its_charts_under_a_strict_csp_without_a_console_error(
    open_page: Any, cast: Any
) -> None:
    patient_id, session_id = _treated_patient(cast)
    page = open_page(cast.alice, cast.password)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda m: (
            problems.append(f"{m.type}: {m.text}")
            if m.type in ("error", "warning", "trace")
            and not m.location.get("url", "").endswith("/favicon.ico")
            else None
        ),
    )
    page.context.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error('CSP ' + e.violatedDirective))"
    )
    page.context.route("**/*", _with_policy)
    page.goto(f"/pathway/patients/{patient_id}/")

    charts = page.locator(".js-plotly-plot")
    charts.first.wait_for()
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length === 2")
    # Drawn, not just created: each chart has its stacked SVG layers, its lines and its points.
    vitals = page.locator(f"#chart-vitals-{session_id} .js-plotly-plot")
    assert vitals.locator(".main-svg").count() >= 2
    assert vitals.locator(".shapelayer path").count() >= 2  # the FiO2 and PEEP stopping limits
    assert vitals.locator(".scatterlayer .point").count() >= 3
    # Plotly's layers overlap exactly (its own CSS is on the page, not refused by the policy).
    boxes = [vitals.locator(".main-svg").nth(i).bounding_box() for i in range(2)]
    assert boxes[0] == boxes[1]
    # Hovering shows the mode bar, whose zoom works under the policy (and nothing sends data away).
    vitals.hover()
    titles = vitals.locator(".modebar-btn").evaluate_all("bs => bs.map(b => b.getAttribute('data-title'))")
    assert titles == ["Zoom", "Pan", "Zoom in", "Zoom out", "Reset axes"]
    vitals.locator(".modebar-btn[data-title='Zoom in']").click()
    # Drawn charts fold their tables away; the table is one click off.
    table = page.locator(f"#chart-vitals-{session_id} table.chart-table")
    assert not table.is_visible()
    page.locator(f"#chart-vitals-{session_id} summary").click()
    assert table.is_visible() and "Baseline" in table.inner_text()
    page.wait_for_timeout(300)  # late errors (a refused style, a failed load) reach the console
    assert problems == []


def test_without_javascript_the_patient_page_shows_the_tables(
    browser: Any, live_server: Any, cast: Any
) -> None:
    patient_id, session_id = _treated_patient(cast)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(cast.alice.username)
        page.get_by_label("Password").fill(cast.password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/pathway/worklist/")  # the sign-in's own redirect first, then the page
        page.goto(f"/pathway/patients/{patient_id}/")
        assert page.locator(".js-plotly-plot").count() == 0
        assert not page.locator(".chart-plot").first.is_visible()  # no empty box where a chart would be
        vitals = page.locator(f"#chart-vitals-{session_id} table.chart-table")
        assert vitals.is_visible()
        assert "Heart rate (/min)" in vitals.inner_text() and "96" in vitals.inner_text()
        assert page.locator("#chart-oxygenation table.chart-table").is_visible()
    finally:
        context.close()
