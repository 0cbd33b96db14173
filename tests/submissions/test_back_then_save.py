"""Browser Back, then Save: the same user posting the same values to the same form page is one record.

Pages are sent ``Cache-Control: no-store``, so Back fetches the page again with a
fresh submission token while the browser restores the typed values; the token
alone cannot see the repeat, the form's fingerprint does (``REPEAT_WINDOW``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from stromal.submissions.middleware import REPEAT_WINDOW, SAME_VALUES_REPEATED
from stromal.submissions.models import Submission
from tests.htmlforms import post_forms_of
from tests.pathway.factories import make_patient

pytestmark = pytest.mark.django_db


def _save_from_a_fresh_page(client: Client, url: str, **values: str) -> Any:
    """Open the page (a fresh token, as Back does under no-store), fill the values, save."""
    (form,) = [f for f in post_forms_of(client.get(url).content.decode()) if "submission_token" in f.names()]
    return client.post(url, form.data(**values))


def _family_url(patient: Any) -> str:
    return reverse("patients:related_new", kwargs={"pk": patient.pk})


def test_back_then_save_with_the_same_values_stores_one_family_member(client: Client, cast: Any) -> None:
    patient = make_patient(cast.cora)
    client.force_login(cast.cora)
    first = _save_from_a_fresh_page(client, _family_url(patient), name="Paul Parent", relationship="son")
    again = _save_from_a_fresh_page(client, _family_url(patient), name="Paul Parent", relationship="son")
    assert first.status_code == 302 and again.status_code == 302
    assert again["Location"] == first["Location"]
    assert patient.related_persons.count() == 1
    notes = [str(m) for m in get_messages(again.wsgi_request)]
    assert SAME_VALUES_REPEATED.format(minutes=10) in notes


def test_back_then_save_with_a_different_value_is_saved_normally(client: Client, cast: Any) -> None:
    patient = make_patient(cast.cora)
    client.force_login(cast.cora)
    _save_from_a_fresh_page(client, _family_url(patient), name="Paul Parent", relationship="son")
    other = _save_from_a_fresh_page(client, _family_url(patient), name="Petra Parent", relationship="son")
    assert other.status_code == 302
    assert sorted(patient.related_persons.values_list("name", flat=True)) == ["Paul Parent", "Petra Parent"]


def test_the_same_values_after_the_window_are_saved_again(client: Client, cast: Any) -> None:
    patient = make_patient(cast.cora)
    client.force_login(cast.cora)
    _save_from_a_fresh_page(client, _family_url(patient), name="Paul Parent", relationship="son")
    Submission.objects.update(
        created_at=Submission.objects.get().created_at - REPEAT_WINDOW - dt.timedelta(seconds=1)
    )
    _save_from_a_fresh_page(client, _family_url(patient), name="Paul Parent", relationship="son")
    assert patient.related_persons.count() == 2


def test_another_user_with_the_same_values_is_not_a_repeat(client: Client, cast: Any) -> None:
    patient = make_patient(cast.cora)
    client.force_login(cast.cora)
    _save_from_a_fresh_page(client, _family_url(patient), name="Paul Parent", relationship="son")
    other = Client()
    other.force_login(cast.alice)
    response = _save_from_a_fresh_page(other, _family_url(patient), name="Paul Parent", relationship="son")
    assert response.status_code == 302
    assert patient.related_persons.count() == 2
