"""Signing in with a second factor: the password, then the code (or a recovery code, once)."""

from __future__ import annotations

from typing import Any

import pytest
from axes.models import AccessFailureLog
from django.test import Client
from django.urls import reverse

from stromal.audit.models import AuditEvent
from stromal.mfa.services import THROTTLED, WRONG_CODE
from tests.conftest import PASSWORD
from tests.mfa.factories import code_for, enrolled, password_signed_in

pytestmark = pytest.mark.django_db

WORKLIST = "/pathway/worklist/"
VERIFY = reverse("mfa:verify")


@pytest.fixture
def required(settings: Any) -> None:
    settings.MFA_REQUIRED_ROLES = frozenset({"physician", "admin"})


def test_a_physician_without_a_second_factor_reaches_no_page_once_it_is_required(
    cast: Any, required: None
) -> None:
    client = password_signed_in(cast.alice)
    for path in (WORKLIST, "/", reverse("accounts:password_change"), reverse("mfa:manage")):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(reverse("mfa:enrol")), path
    assert client.get(reverse("mfa:enrol")).status_code == 200


def test_a_role_that_needs_no_second_factor_signs_in_with_the_password(cast: Any, required: None) -> None:
    assert password_signed_in(cast.nina).get(WORKLIST).status_code == 200


def test_without_a_requirement_a_physician_signs_in_with_the_password(cast: Any, settings: Any) -> None:
    settings.MFA_REQUIRED_ROLES = frozenset({"admin"})
    assert password_signed_in(cast.alice).get(WORKLIST).status_code == 200


def test_after_the_password_the_code_is_asked_and_then_the_page_opens(cast: Any) -> None:
    device, _ = enrolled(cast.nina)  # a device is asked for whether or not the role requires it
    client = password_signed_in(cast.nina)
    response = client.get(WORKLIST)
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Fpathway%2Fworklist%2F"
    wrong = client.post(VERIFY, {"code": "000000" if code_for(device, 1) != "000000" else "111111"})
    assert wrong.status_code == 400
    assert WRONG_CODE in wrong.content.decode()
    assert client.get(WORKLIST).status_code == 302
    # The device slows down after a wrong code; the next period's code, a second later, is taken.
    device.refresh_from_db()
    device.throttling_failure_timestamp = None
    device.save()
    right = client.post(VERIFY, {"code": code_for(device, 1), "next": WORKLIST})
    assert right.status_code == 302 and right["Location"] == WORKLIST
    assert client.get(WORKLIST).status_code == 200


def test_the_code_page_sends_nowhere_outside_the_site(cast: Any) -> None:
    device, _ = enrolled(cast.nina)
    client = password_signed_in(cast.nina)
    response = client.post(VERIFY, {"code": code_for(device, 1), "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_a_code_is_taken_once_and_a_replay_is_logged(cast: Any) -> None:
    device, _ = enrolled(cast.nina)
    code = code_for(device, 1)
    assert password_signed_in(cast.nina).post(VERIFY, {"code": code}).status_code == 302
    replay = password_signed_in(cast.nina).post(VERIFY, {"code": code})
    assert replay.status_code == 400
    assert AccessFailureLog.objects.filter(username="nina", path_info=VERIFY).count() == 1


def test_a_code_from_two_minutes_ago_is_refused(cast: Any) -> None:
    device, _ = enrolled(cast.nina)
    stale = code_for(device, -4)
    if stale in {code_for(device, k) for k in (-1, 0, 1)}:
        pytest.skip("the stale code happens to equal a current one (1 in 10^5)")
    assert password_signed_in(cast.nina).post(VERIFY, {"code": stale}).status_code == 400


def test_a_recovery_code_signs_in_once_and_is_audited(cast: Any) -> None:
    _, codes = enrolled(cast.nina)
    first = password_signed_in(cast.nina)
    assert first.post(VERIFY, {"code": codes[0].upper().replace("-", " ")}).status_code == 302
    assert "9 are left" in first.get(reverse("mfa:manage")).content.decode()
    again = password_signed_in(cast.nina).post(VERIFY, {"code": codes[0]})
    assert again.status_code == 400
    assert (
        AuditEvent.objects.filter(action="mfa_recovery_code_used", object_id=str(cast.nina.pk)).count() == 1
    )


def test_the_session_key_changes_when_the_second_factor_is_passed(cast: Any) -> None:
    device, _ = enrolled(cast.nina)
    client = password_signed_in(cast.nina)
    before = client.session.session_key
    client.post(VERIFY, {"code": code_for(device, 1)})
    assert client.session.session_key != before


def test_ten_wrong_codes_lock_the_account_and_sign_it_out(cast: Any) -> None:
    enrolled(cast.nina)
    client = password_signed_in(cast.nina)
    statuses = [client.post(VERIFY, {"code": "not-a-code"}).status_code for _ in range(10)]
    assert statuses[:9] == [400] * 9 and statuses[9] == 429
    assert AccessFailureLog.objects.filter(username="nina").count() == 10
    assert "_auth_user_id" not in client.session
    locked = Client().post(reverse("accounts:login"), {"username": "nina", "password": PASSWORD})
    assert locked.status_code == 429


def test_a_fresh_password_does_not_lift_the_slow_down_of_the_device(cast: Any, settings: Any) -> None:
    # A minute's wait after one wrong code, so that no machine is slow enough to outlast it.
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    device, _ = enrolled(cast.nina)
    wrong = "123456" if code_for(device, 1) != "123456" else "654321"
    assert password_signed_in(cast.nina).post(VERIFY, {"code": wrong}).status_code == 400
    response = password_signed_in(cast.nina).post(VERIFY, {"code": code_for(device, 1)})
    assert response.status_code == 400
    assert THROTTLED.split(":")[0] in response.content.decode()


def test_the_enrolment_page_adds_no_device_on_the_strength_of_a_password(cast: Any, required: None) -> None:
    enrolled(cast.alice)
    client = password_signed_in(cast.alice)
    response = client.get(reverse("mfa:enrol"))
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert client.post(reverse("mfa:enrol"), {"code": "123456"}).status_code == 302
