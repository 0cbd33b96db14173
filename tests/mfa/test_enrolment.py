"""Setting up an authenticator: QR code and key on the page, a code confirms it, recovery codes shown once."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from stromal.audit.models import AuditEvent
from stromal.mfa import recovery_codes
from stromal.mfa.services import CODE_FORMAT, WRONG_CODE
from tests.conftest import PASSWORD
from tests.mfa.factories import code_for, enrolled, password_signed_in, post_form

pytestmark = pytest.mark.django_db

ENROL = reverse("mfa:enrol")


@pytest.fixture
def physician(cast: Any, settings: Any) -> Any:
    settings.MFA_REQUIRED_ROLES = frozenset({"physician"})
    return password_signed_in(cast.alice)


def test_the_page_shows_a_qr_code_drawn_here_and_the_key_to_type(cast: Any, physician: Any) -> None:
    page = physician.get(ENROL).content.decode()
    assert "<svg" in page and "<img" not in page
    device = TOTPDevice.objects.get(user=cast.alice, confirmed=False)
    key = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page)
    assert key is not None
    typed = key.group(1).replace(" ", "")
    assert base64.b32decode(typed + "=" * (-len(typed) % 8)) == device.bin_key
    # The same key on a reload: the person may be halfway through scanning it.
    physician.get(ENROL)
    assert TOTPDevice.objects.filter(user=cast.alice).count() == 1


def test_a_wrong_code_is_refused_next_to_the_field(cast: Any, physician: Any) -> None:
    physician.get(ENROL)
    device = TOTPDevice.objects.get(user=cast.alice)
    wrong = "000000" if code_for(device) != "000000" else "111111"
    response = post_form(physician, ENROL, {"code": wrong})
    assert response.status_code == 400 and WRONG_CODE in response.content.decode()
    letters = post_form(physician, ENROL, {"code": "abcdef"})
    assert letters.status_code == 400 and CODE_FORMAT in letters.content.decode()
    assert not TOTPDevice.objects.filter(user=cast.alice, confirmed=True).exists()


def test_the_right_code_confirms_it_and_shows_ten_recovery_codes_once(cast: Any, physician: Any) -> None:
    physician.get(ENROL)
    device = TOTPDevice.objects.get(user=cast.alice)
    response = post_form(physician, ENROL, {"code": code_for(device), "next": "/pathway/worklist/"})
    assert response.status_code == 302
    page = physician.get(response["Location"]).content.decode()
    codes = re.findall(r"<li><code>([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})</code></li>", page)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert 'href="/pathway/worklist/"' in page
    assert "already shown" in physician.get(response["Location"]).content.decode()
    # The session passed the second factor with the confirmation: the worklist opens.
    assert physician.get("/pathway/worklist/").status_code == 200
    stored = set(StaticToken.objects.filter(device__user=cast.alice).values_list("token", flat=True))
    assert stored == {recovery_codes.digest(recovery_codes.normalise(c) or "") for c in codes}
    assert not stored & {c.replace("-", "") for c in codes}
    assert AuditEvent.objects.filter(action="mfa_enrol", object_id=str(cast.alice.pk)).exists()


def test_new_recovery_codes_need_the_password_and_stop_the_old_ones(cast: Any) -> None:
    device, old = enrolled(cast.nina)
    client = password_signed_in(cast.nina)
    client.post(reverse("mfa:verify"), {"code": code_for(device, 1)})
    manage = reverse("mfa:manage")
    refused = post_form(client, manage, {"username": "nina", "password": "wrong-password-0000"})
    assert refused.status_code == 400 and "no new codes were made" in refused.content.decode()
    made = post_form(client, manage, {"username": "nina", "password": PASSWORD})
    assert made.status_code == 302 and made["Location"] == reverse("mfa:codes")
    new = re.findall(r"<li><code>([0-9a-z-]{19})</code></li>", client.get(made["Location"]).content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert password_signed_in(cast.nina).post(reverse("mfa:verify"), {"code": old[0]}).status_code == 400
    StaticDevice.objects.get(user=cast.nina).throttle_reset()  # the wrong code's 1-second slow-down
    assert password_signed_in(cast.nina).post(reverse("mfa:verify"), {"code": new[0]}).status_code == 302
    assert AuditEvent.objects.filter(action="mfa_recovery_codes_new", actor=cast.nina).count() == 1


def test_recovery_codes_carry_eighty_random_bits_and_forgive_case_and_lookalikes() -> None:
    codes = recovery_codes.new_codes()
    assert len(set(codes)) == len(codes) == 10
    assert len(recovery_codes.ALPHABET) ** recovery_codes.CODE_CHARS == 2**80
    code = codes[0]
    typed = code.upper().replace("-", " ").replace("0", "O").replace("1", "l")
    assert recovery_codes.normalise(typed) == code.replace("-", "")
    assert recovery_codes.normalise("too-short") is None
    assert len(recovery_codes.digest(code.replace("-", ""))) == 16
