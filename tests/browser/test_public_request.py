"""The public request form in Chromium: the anti-spam field is out of reach; the same form sent twice stores one request."""

from __future__ import annotations

from typing import Any

import pytest

from stromal.accounts.models import Site
from stromal.intake.models import ConsultationRequest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]


def _fill(page: Any) -> None:
    page.goto("/request/")
    page.get_by_label("Your name").fill("Tabitha Keys")
    page.locator("input[value=phone]").check()
    page.locator("#id_phone").fill("+44 20 7946 0077")
    page.get_by_label("Your condition, in your words").fill("Breathless after ARDS.")


def test_tabbing_through_the_form_never_reaches_the_anti_spam_field(open_page: Any) -> None:
    Site.objects.create(code="north", name="North Clinic")
    page = open_page()
    page.goto("/request/")
    page.get_by_label("Your name").focus()
    focused = []
    for _ in range(30):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.name || document.activeElement.tagName"))
    assert "website" not in focused
    assert "condition" in focused  # the walk did pass through the form


SEND_TWICE = """async () => {
  const form = document.querySelector("form.form");
  const body = new URLSearchParams(new FormData(form)).toString();
  const send = () => fetch(location.href, {
    method: "POST", body, redirect: "manual",
    headers: {"Content-Type": "application/x-www-form-urlencoded"},
  });
  const answers = [];
  for (const _ of [1, 2]) { const r = await send(); answers.push(r.status + " " + r.type); }
  return answers;
}"""


def test_the_same_filled_form_sent_twice_stores_one_request(open_page: Any) -> None:
    """The browser sends the very body of the filled page twice, one after the other (a resend).
    (Two at once are proven in tests/submissions on PostgreSQL: the test's in-memory SQLite
    answers a second writer "table is locked" instead of waiting as the file database does.)"""
    Site.objects.create(code="north", name="North Clinic")
    page = open_page()
    _fill(page)
    answers = page.evaluate(SEND_TWICE)
    assert answers == ["0 opaqueredirect", "0 opaqueredirect"]  # both answered with a redirect
    assert ConsultationRequest.objects.count() == 1
