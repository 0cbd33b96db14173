"""OWASP ASVS 4.0.3 level 2: each requirement we cover, mapped to the test that shows it.

The table is checked, not trusted: every test it names must exist (imported by
module and function name), so renaming or deleting a test breaks this one. The
requirements not covered, and why, are listed in ``docs/security/asvs.md``; a
requirement may not be in both places.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

#: ASVS 4.0.3 requirement -> tests ("module::function") that show it.
COVERED: dict[str, tuple[str, ...]] = {
    # V2 Authentication
    "2.1.1": ("tests.accounts.test_password_change::test_weak_passwords_are_refused",),
    "2.2.1": (
        "tests.accounts.test_brute_force::test_ten_failed_sign_ins_lock_the_account_even_for_the_right_password",
        "tests.accounts.test_brute_force::test_a_locked_signature_refuses_the_right_password_until_unlocked",
        "tests.mfa.test_sign_in::test_ten_wrong_codes_lock_the_account_and_sign_it_out",
        "tests.mfa.test_sign_in::test_a_fresh_password_does_not_lift_the_slow_down_of_the_device",
        "tests.intake.test_views::test_the_rate_limit_shows_a_clear_message",
    ),
    "2.5.7": (
        "tests.mfa.test_reset::test_a_reset_removes_the_factor_is_audited_and_the_physician_enrols_again",
        "tests.mfa.test_reset::test_another_sites_administrator_finds_no_such_account",
    ),
    "2.6.1": ("tests.mfa.test_sign_in::test_a_recovery_code_signs_in_once_and_is_audited",),
    "2.6.3": (
        "tests.mfa.test_enrolment::test_recovery_codes_carry_eighty_random_bits_and_forgive_case_and_lookalikes",
    ),
    "2.8.1": ("tests.mfa.test_sign_in::test_a_code_from_two_minutes_ago_is_refused",),
    "2.8.4": ("tests.mfa.test_sign_in::test_a_code_is_taken_once_and_a_replay_is_logged",),
    "2.8.5": ("tests.mfa.test_sign_in::test_a_code_is_taken_once_and_a_replay_is_logged",),
    "2.8.6": (
        "tests.mfa.test_reset::test_a_reset_removes_the_factor_is_audited_and_the_physician_enrols_again",
    ),
    "2.10.4": ("tests.test_settings::test_production_refuses_to_start_without_a_secret_key",),
    # V3 Session management
    "3.2.1": ("tests.mfa.test_sign_in::test_the_session_key_changes_when_the_second_factor_is_passed",),
    "3.3.2": (
        "tests.accounts.test_session_limits::test_a_session_idle_for_more_than_15_minutes_ends",
        "tests.accounts.test_session_limits::test_an_active_session_ends_at_the_absolute_limit",
    ),
    "3.7.1": (
        "tests.accounts.test_brute_force::test_a_locked_signature_refuses_the_right_password_until_unlocked",
        "tests.mfa.test_enrolment::test_new_recovery_codes_need_the_password_and_stop_the_old_ones",
    ),
    # V4 Access control
    "4.1.1": (
        "tests.mfa.test_views::test_permission_matrix",
        "tests.audit.test_views::test_permission_matrix",
        "tests.plans.test_views::test_permission_matrix",
    ),
    "4.1.3": (
        "tests.audit.test_views::test_permission_matrix",
        "tests.mfa.test_reset::test_no_other_role_may_reset",
    ),
    "4.2.1": (
        "tests.audit.test_views::test_a_monitor_of_another_site_sees_no_such_patient_or_record",
        "tests.mfa.test_reset::test_another_sites_administrator_finds_no_such_account",
    ),
    "4.3.1": (
        "tests.mfa.test_sign_in::test_a_physician_without_a_second_factor_reaches_no_page_once_it_is_required",
        "tests.test_settings::test_production_refuses_to_drop_the_second_factor_of_physicians_or_administrators",
    ),
    # V5 Validation
    "5.1.3": ("tests.fuzz.test_every_form::test_every_form_fuzzed_as_every_role_gives_no_server_error",),
    # V7 Error handling and logging
    "7.1.3": (
        "tests.accounts.test_brute_force::test_ten_failed_sign_ins_lock_the_account_even_for_the_right_password",
        "tests.mfa.test_sign_in::test_ten_wrong_codes_lock_the_account_and_sign_it_out",
        "tests.mfa.test_reset::test_a_reset_removes_the_factor_is_audited_and_the_physician_enrols_again",
    ),
    "7.3.3": (
        "tests.audit.test_append_only::test_the_database_refuses_to_update_or_delete_audit_events",
        "tests.audit.test_verify_command::test_a_tampered_row_exits_1_naming_it",
        "tests.test_database_roles::test_the_app_role_writes_data_but_cannot_alter_disable_update_or_delete_the_trail",
        "tests.test_database_roles::test_the_app_role_cannot_run_migrations",
    ),
    # V8 Data protection
    "8.2.1": ("tests.accounts.test_no_store::test_a_patient_page_is_not_stored_by_the_browser",),
    # V11 Business logic
    "11.1.4": ("tests.intake.test_views::test_the_rate_limit_shows_a_clear_message",),
    # V14 Configuration
    "14.3.2": ("tests.test_settings::test_production_refuses_debug_naming_the_variable",),
    "14.4.3": (
        "tests.test_content_security_policy::test_every_page_carries_the_policy_and_nothing_it_blocks",
    ),
    "14.4.4": (
        "tests.test_content_security_policy::test_pages_also_forbid_sniffing_framing_and_cross_site_referrers",
    ),
    "14.4.5": ("tests.test_settings::test_hsts_and_the_https_redirect_come_from_the_environment",),
    "14.4.6": (
        "tests.test_content_security_policy::test_pages_also_forbid_sniffing_framing_and_cross_site_referrers",
    ),
    "14.4.7": (
        "tests.test_content_security_policy::test_pages_also_forbid_sniffing_framing_and_cross_site_referrers",
    ),
}

REQUIREMENT = re.compile(r"^\d{1,2}\.\d{1,2}\.\d{1,2}$")
NOTE = Path(__file__).resolve().parents[1] / "docs" / "security" / "asvs.md"


def _key(number: str) -> tuple[int, ...]:
    return tuple(int(part) for part in number.split("."))


def _uncovered_in_note() -> set[str]:
    """Requirement numbers in the note's "Not covered" table (first column)."""
    text = NOTE.read_text(encoding="utf-8").split("## Not covered", 1)[1]
    return set(re.findall(r"^\| (\d{1,2}\.\d{1,2}\.\d{1,2}) \|", text, re.M))


@pytest.mark.parametrize("requirement", sorted(COVERED, key=_key))
def test_each_covered_requirement_names_tests_that_exist(requirement: str) -> None:
    assert REQUIREMENT.fullmatch(requirement)
    for reference in COVERED[requirement]:
        module_name, _, function = reference.partition("::")
        module = importlib.import_module(module_name)
        test = getattr(module, function, None)
        assert callable(test) and function.startswith("test_"), f"{requirement}: {reference} does not exist"


def test_the_note_lists_uncovered_requirements_and_none_of_them_is_also_covered() -> None:
    uncovered = _uncovered_in_note()
    assert len(uncovered) >= 10
    assert not uncovered & set(COVERED), sorted(uncovered & set(COVERED))


def test_the_note_lists_every_covered_requirement_with_its_test() -> None:
    text = NOTE.read_text(encoding="utf-8").split("## Not covered", 1)[0]
    listed = set(re.findall(r"^\| (\d{1,2}\.\d{1,2}\.\d{1,2}) \|", text, re.M))
    assert listed == set(COVERED)
