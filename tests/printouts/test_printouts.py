"""Printouts of a signed plan, a consent and a casebook: each signature's printed name, date-time
with zone and meaning (21 CFR 11.50), as a print layout and as a PDF; role and site checked."""

from __future__ import annotations

import io
from typing import Any

import pypdf
import pytest
from django.test import Client
from django.urls import reverse

from stromal.accounts.models import User
from stromal.monitoring import services as monitoring
from stromal.printouts.document import Document, Part, Signature
from stromal.printouts.pdf import render_pdf
from tests.administrations.factories import ready_plan
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ROLES = ["alice", "nina", "cora", "luke", "mona", "ivan", "ada"]
CASEBOOK_READERS = {"mona", "ivan", "ada"}


def _client(cast: Any, who: str | None) -> Client:
    client = Client()
    if who:
        client.force_login(getattr(cast, who))
    return client


def _urls(plan: Any) -> dict[str, str]:
    return {
        "plan": reverse("plans:print", args=[plan.pk]),
        "consent": reverse("plans:consent_print", args=[plan.consents.get().pk]),
        "casebook": reverse("monitoring:casebook", args=[plan.patient_id]),
    }


def _pdf_text(content: bytes, tmp_path: Any) -> str:
    """The PDF's text, page after page (pypdf's layout mode keeps a table row on one line)."""
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text(extraction_mode="layout") for page in reader.pages)


@pytest.mark.parametrize("who", [*ROLES, None])
def test_permission_matrix(cast: Any, who: str | None) -> None:
    plan = ready_plan(cast)
    client = _client(cast, who)
    for kind, url in _urls(plan).items():
        for query in ("", "?format=pdf"):
            response = client.get(url + query)
            if who is None:
                assert response.status_code == 302 and "/accounts/login/" in response["Location"]
            elif kind == "casebook" and who not in CASEBOOK_READERS:
                assert response.status_code == 403, (kind, who)
            else:
                assert response.status_code == 200, (kind, who)


def test_another_sites_staff_find_no_such_printout(cast: Any, other_site: Any) -> None:
    plan = ready_plan(cast)
    outsider = User.objects.create_user(username="otto", password=PASSWORD, role="monitor", site=other_site)
    client = Client()
    client.force_login(outsider)
    for url in _urls(plan).values():
        assert client.get(url).status_code == 404
        assert client.get(url + "?format=pdf").status_code == 404


def test_the_plan_printout_shows_each_signature_with_name_zoned_time_and_meaning(cast: Any) -> None:
    plan = ready_plan(cast)
    page = _client(cast, "nina").get(_urls(plan)["plan"]).content.decode()
    signatures = page[page.index('id="signatures"') :]
    for name in ("Dr Alice Adams", "Dr Bob Brown"):
        assert name in signatures
    assert signatures.count("approved treatment plan") == 2
    assert signatures.count(" UTC</td>") == 2  # the site's zone is named with every time
    assert "Drafted by" in page and "Dr Dora Drafter" in page
    assert 'src="/static/stromal/print.js"' in page and "onclick" not in page


def test_the_plan_pdf_says_the_same(cast: Any, tmp_path: Any) -> None:
    plan = ready_plan(cast)
    response = _client(cast, "nina").get(_urls(plan)["plan"] + "?format=pdf")
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    assert f'filename="plan-{plan.pk}.pdf"' in response["Content-Disposition"]
    text = _pdf_text(response.content, tmp_path)
    assert "Dr Alice Adams" in text and "Dr Bob Brown" in text and "approved treatment plan" in text
    assert "UTC" in text


def test_the_consent_printout_names_who_gave_witnessed_and_recorded_it(cast: Any, tmp_path: Any) -> None:
    plan = ready_plan(cast)
    url = _urls(plan)["consent"]
    page = _client(cast, "cora").get(url).content.decode()
    assert "Wendy Witness" in page and "witnessed the consent" in page
    assert "handwritten, on the paper consent form" in page and "recorded the consent in Stromal" in page
    text = _pdf_text(_client(cast, "cora").get(url + "?format=pdf").content, tmp_path)
    assert "Wendy Witness" in text and "PIS v2.1" in text


def test_the_casebook_printout_holds_every_record_and_the_investigators_sign_off(
    cast: Any, tmp_path: Any
) -> None:
    plan = ready_plan(cast)
    patient = plan.patient
    monitoring.record_verify(
        user=cast.mona, patient=patient, object_type="patients.patient", object_id=str(patient.pk)
    )
    monitoring.casebook_sign(user=cast.ivan, patient=patient, username="ivan", password=PASSWORD)
    page = _client(cast, "mona").get(_urls(plan)["casebook"]).content.decode()
    assert "signed off and locked since" in page
    assert "Arterial partial pressure of oxygen (mmHg)</th><td>70.0<" in page
    assert "verified (by Mona Moss" in page
    assert "Ivan Ivanov" in page and "Reviewed and approved" in page
    text = _pdf_text(_client(cast, "mona").get(_urls(plan)["casebook"] + "?format=pdf").content, tmp_path)
    assert "Ivan Ivanov" in text and "Casebook of Test Person" in text


def test_a_pdf_prints_every_name_as_typed(tmp_path: Any) -> None:
    document = Document(
        title="Zoë Ødegård — Ζωή Ξένου — Зоя Жукова",
        subtitle="ć ł ő ş",
        filename="x",
        parts=(Part("Empty"),),
        signatures=(Signature("Dr Łukasz Żółć", "2026-11-30 14:05 CET", "approved treatment plan"),),
    )
    text = _pdf_text(render_pdf(document), tmp_path)
    assert "Zoë Ødegård" in text and "Ζωή Ξένου" in text and "Зоя Жукова" in text
    assert "Dr Łukasz Żółć" in text
