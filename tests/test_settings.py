import os
import subprocess
import sys

import pytest


def _settings_with(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "STROMAL_ENV"}} | env
    return subprocess.run(
        [sys.executable, "-c", "import stromal.settings as s; print(s.DEBUG)"],
        capture_output=True,
        text=True,
        env=full,
    )


def test_production_refuses_to_start_without_a_secret_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = _settings_with({"STROMAL_ENV": "production", "STROMAL_VAR_DIR": str(tmp_path)})
    assert out.returncode != 0
    assert "SECRET_KEY" in out.stderr


def test_the_embedded_default_generates_and_keeps_a_secret_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = _settings_with({"STROMAL_VAR_DIR": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"  # DEBUG is off unless asked for
    assert len((tmp_path / "secret_key").read_text()) > 40


def test_a_malformed_boolean_names_the_variable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = _settings_with({"STROMAL_VAR_DIR": str(tmp_path), "STROMAL_DEBUG": "maybe"})
    assert out.returncode != 0
    assert "STROMAL_DEBUG" in out.stderr


def test_an_empty_time_zone_is_refused_naming_the_variable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = _settings_with({"STROMAL_VAR_DIR": str(tmp_path), "STROMAL_TIME_ZONE": ""})
    assert out.returncode != 0
    assert "SettingError: STROMAL_TIME_ZONE='': expected an IANA time-zone name" in out.stderr


def test_an_unknown_time_zone_is_refused_naming_the_variable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = _settings_with({"STROMAL_VAR_DIR": str(tmp_path), "STROMAL_TIME_ZONE": "Mars/Olympus"})
    assert out.returncode != 0
    assert "STROMAL_TIME_ZONE='Mars/Olympus'" in out.stderr


def test_a_known_time_zone_is_the_default_of_every_site(tmp_path) -> None:  # type: ignore[no-untyped-def]
    full = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "STROMAL_ENV"}}
    out = subprocess.run(
        [sys.executable, "-c", "import stromal.settings as s; print(s.TIME_ZONE)"],
        capture_output=True,
        text=True,
        env=full | {"STROMAL_VAR_DIR": str(tmp_path), "STROMAL_TIME_ZONE": "Europe/Paris"},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "Europe/Paris"


def test_the_command_line_reports_a_wrong_time_zone_in_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    full = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "STROMAL_ENV"}}
    out = subprocess.run(
        [sys.executable, "-m", "stromal.cli", "manage", "check"],
        capture_output=True,
        text=True,
        env=full | {"STROMAL_VAR_DIR": str(tmp_path), "STROMAL_TIME_ZONE": ""},
    )
    assert out.returncode == 2
    assert out.stderr.startswith("stromal: configuration error: STROMAL_TIME_ZONE=''")
    assert "Traceback" not in out.stderr


LONG_KEY = "k" * 60


def _production(tmp_path, **env: str):  # type: ignore[no-untyped-def]
    base = {
        "STROMAL_ENV": "production",
        "STROMAL_VAR_DIR": str(tmp_path),
        "SECRET_KEY": LONG_KEY,
        "STROMAL_ALLOWED_HOSTS": "stromal.example.org",
    }
    return _settings_with(base | env)


def test_production_starts_with_safe_settings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = _production(tmp_path)
    assert out.returncode == 0, out.stderr


def test_production_refuses_debug_naming_the_variable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = _production(tmp_path, STROMAL_DEBUG="1")
    assert out.returncode != 0
    assert "STROMAL_DEBUG: debug pages are refused" in out.stderr


def test_production_refuses_a_short_secret_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = _production(tmp_path, SECRET_KEY="short-but-not-empty")
    assert out.returncode != 0
    assert "SECRET_KEY: at least 50 characters" in out.stderr


def test_production_refuses_any_host(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = _production(tmp_path, STROMAL_ALLOWED_HOSTS="*")
    assert out.returncode != 0
    assert "STROMAL_ALLOWED_HOSTS: '*' is refused" in out.stderr


def test_production_refuses_the_demo_loader(tmp_path) -> None:  # type: ignore[no-untyped-def]
    full = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "STROMAL_ENV"}}
    env = full | {
        "STROMAL_ENV": "production",
        "STROMAL_VAR_DIR": str(tmp_path),
        "SECRET_KEY": LONG_KEY,
        "STROMAL_ALLOWED_HOSTS": "stromal.example.org",
    }
    out = subprocess.run(
        [sys.executable, "-m", "stromal.cli", "demo"], capture_output=True, text=True, env=env
    )
    assert out.returncode == 2
    assert "refused because STROMAL_ENV=production" in out.stderr


def test_hsts_and_the_https_redirect_come_from_the_environment(tmp_path) -> None:  # type: ignore[no-untyped-def]
    full = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "STROMAL_ENV"}}
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import stromal.settings as s; print(s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.SECURE_PROXY_SSL_HEADER)",
        ],
        capture_output=True,
        text=True,
        env=full
        | {
            "STROMAL_VAR_DIR": str(tmp_path),
            "STROMAL_HSTS_SECONDS": "31536000",
            "STROMAL_SSL_REDIRECT": "1",
            "STROMAL_BEHIND_TLS_PROXY": "1",
        },
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["31536000", "True", "('HTTP_X_FORWARDED_PROTO',", "'https')"]


def _setting(env: dict[str, str], expression: str) -> subprocess.CompletedProcess[str]:
    inherited = {"SECRET_KEY", "STROMAL_ENV", "STROMAL_MFA_REQUIRED_ROLES"}
    full = {k: v for k, v in os.environ.items() if k not in inherited} | env
    return subprocess.run(
        [sys.executable, "-c", f"import stromal.settings as s; print({expression})"],
        capture_output=True,
        text=True,
        env=full,
    )


PRODUCTION = {
    "STROMAL_ENV": "production",
    "SECRET_KEY": "k" * 60,
    "STROMAL_ALLOWED_HOSTS": "stromal.example.org",
}


def test_physicians_and_administrators_need_a_second_factor_by_default(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = _setting({"STROMAL_VAR_DIR": str(tmp_path)}, "sorted(s.MFA_REQUIRED_ROLES)")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['admin', 'physician']"


def test_the_roles_that_need_a_second_factor_are_configurable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"STROMAL_VAR_DIR": str(tmp_path), "STROMAL_MFA_REQUIRED_ROLES": "physician, admin, nurse"}
    out = _setting(env, "sorted(s.MFA_REQUIRED_ROLES)")
    assert out.stdout.strip() == "['admin', 'nurse', 'physician']", out.stderr
    out = _setting(PRODUCTION | env | {"STROMAL_VAR_DIR": str(tmp_path)}, "sorted(s.MFA_REQUIRED_ROLES)")
    assert out.stdout.strip() == "['admin', 'nurse', 'physician']", out.stderr


def test_an_unknown_role_is_refused_naming_the_variable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = _setting({"STROMAL_VAR_DIR": str(tmp_path), "STROMAL_MFA_REQUIRED_ROLES": "doctor"}, "1")
    assert out.returncode != 0
    assert "STROMAL_MFA_REQUIRED_ROLES: unknown role(s) doctor" in out.stderr


@pytest.mark.parametrize("roles", ["", "physician", "admin,nurse"])
def test_production_refuses_to_drop_the_second_factor_of_physicians_or_administrators(
    tmp_path, roles: str
) -> None:  # type: ignore[no-untyped-def]
    out = _setting(PRODUCTION | {"STROMAL_VAR_DIR": str(tmp_path), "STROMAL_MFA_REQUIRED_ROLES": roles}, "1")
    assert out.returncode != 0
    assert "STROMAL_MFA_REQUIRED_ROLES: physician and admin must use a second factor" in out.stderr


def test_the_content_security_policy_allows_no_inline_script(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = _setting(
        {"STROMAL_VAR_DIR": str(tmp_path)}, "s.CONTENT_SECURITY_POLICY['DIRECTIVES']['script-src']"
    )
    assert out.stdout.strip() == "[\"'self'\"]", out.stderr
