"""The submission-token middleware and the NUL refusal, through real views and a real database."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from stromal.patients.models import RelatedPerson
from stromal.submissions.middleware import (
    NUL_REFUSED,
    TOKEN_DAMAGED,
    TOKEN_EXPIRED,
    TOKEN_FIELD,
    TOKEN_MAX_AGE,
    new_token,
    prune_expired_claims,
)
from stromal.submissions.models import Submission
from tests.htmlforms import post_forms_of
from tests.pathway.factories import make_patient

TOKEN = new_token()


def _family_url(patient: Any) -> str:
    return reverse("patients:related_new", kwargs={"pk": patient.pk})


@pytest.mark.django_db
def test_a_form_refused_with_errors_does_not_block_the_corrected_resubmission(
    client: Client, cast: Any
) -> None:
    patient = make_patient(cast.cora)
    client.force_login(cast.cora)
    refused = client.post(_family_url(patient), {TOKEN_FIELD: TOKEN, "name": "", "relationship": "son"})
    assert refused.status_code == 400
    assert not Submission.objects.exists()
    corrected = client.post(_family_url(patient), {TOKEN_FIELD: TOKEN, "name": "Paul", "relationship": "son"})
    assert corrected.status_code == 302
    assert patient.related_persons.count() == 1
    assert Submission.objects.get(token=TOKEN).location == corrected["Location"]


@pytest.mark.django_db
def test_a_post_refused_for_the_role_does_not_claim_the_token(client: Client, cast: Any) -> None:
    patient = make_patient(cast.cora)
    client.force_login(cast.mona)
    response = client.post(_family_url(patient), {TOKEN_FIELD: TOKEN, "name": "Paul", "relationship": "son"})
    assert response.status_code == 403
    assert not Submission.objects.exists()


@pytest.mark.django_db
def test_a_post_after_the_session_expired_does_not_claim_the_token(client: Client, cast: Any) -> None:
    patient = make_patient(cast.cora)
    response = client.post(_family_url(patient), {TOKEN_FIELD: TOKEN, "name": "Paul", "relationship": "son"})
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert not Submission.objects.exists()


@pytest.mark.django_db
def test_each_page_view_gets_a_fresh_token(client: Client, cast: Any) -> None:
    patient = make_patient(cast.cora)
    client.force_login(cast.cora)
    tokens = {
        post_forms_of(client.get(_family_url(patient)).content.decode())[-1].data()[TOKEN_FIELD]
        for _ in range(2)
    }
    assert len(tokens) == 2


@pytest.mark.django_db
def test_a_damaged_token_is_refused_with_a_clear_message(client: Client, cast: Any) -> None:
    patient = make_patient(cast.cora)
    client.force_login(cast.cora)
    response = client.post(
        _family_url(patient), {TOKEN_FIELD: "x'; drop", "name": "Paul", "relationship": "son"}
    )
    assert response.status_code == 400 and TOKEN_DAMAGED in response.content.decode()
    assert not patient.related_persons.exists()


@pytest.mark.django_db
def test_a_nul_character_in_a_form_value_saves_nothing(client: Client, cast: Any) -> None:
    patient = make_patient(cast.cora)
    client.force_login(cast.cora)
    response = client.post(_family_url(patient), {"name": "Pa\x00ul", "relationship": "son"})
    assert response.status_code == 400 and NUL_REFUSED.format(field="name") in response.content.decode()
    assert not patient.related_persons.exists()


@pytest.mark.django_db(transaction=True)
def test_two_identical_posts_at_the_same_time_store_one_record(cast: Any) -> None:
    """Two threads, two database connections, one token: the second waits for the first and gets its result."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE); the concurrent proof needs PostgreSQL")
    patient = make_patient(cast.cora)
    barrier = threading.Barrier(2)
    answers: list[int] = []

    def post() -> None:
        client = Client()
        client.force_login(cast.cora)
        barrier.wait()
        response = client.post(
            _family_url(patient), {TOKEN_FIELD: TOKEN, "name": "Paul", "relationship": "son"}
        )
        answers.append(response.status_code)
        connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [302, 302]
    assert RelatedPerson.objects.filter(patient=patient).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Paul\u202eluaP", "U+202E"),
        ("Pa\u200bul", "U+200B"),
        ("Paul\x07", "U+0007"),
        ("\ufeffPaul", "U+FEFF"),
    ],
)
def test_an_invisible_control_character_in_a_form_value_saves_nothing(
    client: Client, cast: Any, name: str, code: str
) -> None:
    patient = make_patient(cast.cora)
    client.force_login(cast.cora)
    response = client.post(_family_url(patient), {TOKEN_FIELD: TOKEN, "name": name, "relationship": "son"})
    text = response.content.decode()
    assert response.status_code == 400 and "The field “name” contains an invisible control character" in text
    assert code in text
    assert not patient.related_persons.exists()


@pytest.mark.django_db
def test_ordinary_whitespace_and_joiners_are_kept(client: Client, cast: Any) -> None:
    patient = make_patient(cast.cora)
    client.force_login(cast.cora)
    name = "Mehr\u200cdad Tab\tName"
    response = client.post(_family_url(patient), {TOKEN_FIELD: TOKEN, "name": name, "relationship": "son"})
    assert response.status_code == 302
    assert patient.related_persons.get().name == name


@pytest.mark.django_db
def test_the_public_request_refuses_a_right_to_left_override_in_the_name(client: Client, site: Any) -> None:
    from stromal.intake.models import ConsultationRequest

    response = client.post(
        reverse("intake:public_request"),
        {
            "full_name": "Rosa \u202eRequest",
            "contact_method": "phone",
            "phone": "+44 20 7946 0000",
            "condition": "Breathless after ARDS.",
            "website": "",
        },
    )
    assert response.status_code == 400
    assert (
        "The field “full_name” contains an invisible control character (U+202E" in response.content.decode()
    )
    assert not ConsultationRequest.objects.exists()


@pytest.mark.django_db
def test_a_form_opened_longer_ago_than_the_token_lifetime_is_refused_and_nothing_is_saved(
    client: Client, cast: Any
) -> None:
    patient = make_patient(cast.cora)
    client.force_login(cast.cora)
    stale = new_token(timezone.now() - TOKEN_MAX_AGE - dt.timedelta(minutes=1))
    response = client.post(_family_url(patient), {TOKEN_FIELD: stale, "name": "Paul", "relationship": "son"})
    assert response.status_code == 400
    assert TOKEN_EXPIRED.format(hours=24).split(",")[0] in response.content.decode()
    assert not patient.related_persons.exists() and not Submission.objects.exists()


@pytest.mark.django_db
def test_a_token_dated_in_the_future_is_refused_as_damaged(client: Client, cast: Any) -> None:
    patient = make_patient(cast.cora)
    client.force_login(cast.cora)
    future = new_token(timezone.now() + dt.timedelta(hours=1))
    response = client.post(_family_url(patient), {TOKEN_FIELD: future, "name": "Paul", "relationship": "son"})
    assert response.status_code == 400
    assert TOKEN_DAMAGED in response.content.decode()
    assert not patient.related_persons.exists()


@pytest.mark.django_db
def test_claims_older_than_the_token_lifetime_are_pruned_and_newer_ones_kept() -> None:
    old = Submission.objects.create(token=new_token(), path="/old/")
    recent = Submission.objects.create(token=new_token(), path="/recent/")
    Submission.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - TOKEN_MAX_AGE - dt.timedelta(seconds=1)
    )
    assert prune_expired_claims() == 1
    assert list(Submission.objects.values_list("pk", flat=True)) == [recent.pk]


@pytest.mark.django_db
def test_a_carried_out_submission_prunes_expired_claims(client: Client, cast: Any) -> None:
    old = Submission.objects.create(token=new_token(), path="/old/")
    Submission.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - TOKEN_MAX_AGE - dt.timedelta(hours=1)
    )
    patient = make_patient(cast.cora)
    client.force_login(cast.cora)
    response = client.post(
        _family_url(patient), {TOKEN_FIELD: new_token(), "name": "Paul", "relationship": "son"}
    )
    assert response.status_code == 302
    assert not Submission.objects.filter(pk=old.pk).exists()
