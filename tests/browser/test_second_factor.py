"""In Chromium, under the strict Content-Security-Policy: a physician sets up an authenticator at the
first sign-in and signs in with a code the next time; the triage filter still submits on change."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django_otp.oath import TOTP

from stromal.intake.models import ConsultationRequest
from tests.conftest import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]


def _code(key_text: str, steps_ahead: int = 0) -> str:
    key = base64.b32decode(key_text + "=" * (-len(key_text) % 8))
    totp = TOTP(key, 30, 0, 6, 0)
    totp.time = totp.time + steps_ahead * 30
    return f"{totp.token():06d}"


def _policy_violations(page: Any) -> list[str]:
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if "Content Security Policy" in m.text else None)
    return found


def _sign_in(page: Any, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_physician_sets_up_an_authenticator_then_signs_in_with_its_code(
    open_page: Any, cast: Any, settings: Any
) -> None:
    settings.MFA_REQUIRED_ROLES = frozenset({"physician"})
    page = open_page()
    violations = _policy_violations(page)
    _sign_in(page, "alice")
    page.wait_for_url("**/accounts/mfa/enrol/**")
    assert page.locator("figure.qr svg").is_visible()
    key = page.locator("code.secret").inner_text().replace(" ", "")
    page.get_by_label("Code shown by the app").fill(_code(key))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/accounts/mfa/codes/**")
    assert page.locator("ul.recovery-codes li").count() == 10
    page.get_by_role("link", name="Continue").click()
    page.wait_for_url("**/pathway/worklist/")
    page.get_by_role("button", name="Sign out").click()

    _sign_in(page, "alice")
    page.wait_for_url("**/accounts/mfa/verify/**")
    page.get_by_label("Code").fill(_code(key, 1))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/pathway/worklist/")
    assert violations == []


def test_the_triage_filter_submits_when_its_choice_changes(open_page: Any, cast: Any) -> None:
    ConsultationRequest.objects.create(
        site=cast.cora.site,
        full_name="Filter Person",
        contact_method="email",
        email="f@example.org",
        condition="c",
    )
    page = open_page(cast.cora, PASSWORD)
    violations = _policy_violations(page)
    page.goto("/intake/")
    page.locator("select#status").select_option("all")
    page.wait_for_url("**/intake/?status=all")
    assert "Filter Person" in page.content()
    assert violations == []
