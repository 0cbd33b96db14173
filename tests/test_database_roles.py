"""The application's PostgreSQL role owns no table: it cannot rewrite the audit trail or migrate.

The PostgreSQL test builds its own database with two fresh roles (owner and
application), migrates it with ``stromal manage migrate`` as the README says,
then tries, as the application role, what issue #12 showed working.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection

from stromal.dbroles import RESTRICTED, grant_statements, owner_and_app
from stromal.env import SettingError


def _quote(name: str) -> str:
    return f'"{name}"'


def test_the_app_role_gets_data_rights_and_only_appends_to_the_audit_trail() -> None:
    sql = grant_statements("stromal_app", {"audit_auditevent", "patients_patient"}, _quote)
    assert 'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "stromal_app"' in sql
    assert 'REVOKE UPDATE, DELETE, TRUNCATE ON "audit_auditevent" FROM "stromal_app"' in sql
    # A revoke names only tables that exist (a grant before the first migration has none).
    assert not any("django_migrations" in s for s in sql)
    assert sql.index('REVOKE UPDATE, DELETE, TRUNCATE ON "audit_auditevent" FROM "stromal_app"') > sql.index(
        'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "stromal_app"'
    )
    assert set(RESTRICTED) == {"audit_auditevent", "audit_auditchainhead", "django_migrations"}


@pytest.mark.parametrize(
    ("app", "owner", "message"),
    [
        ("", "postgresql://o@h:5432/db", "DATABASE_OWNER_URL is set but DATABASE_URL is not"),
        ("postgresql://a@h:5432/db", "postgresql://o@h:5432/other", "same host, port and database"),
        ("postgresql://a@h:5432/db", "postgresql://a@h:5432/db", "two different roles"),
        ("sqlite:///x.sqlite3", "sqlite:///x.sqlite3", "needs PostgreSQL"),
    ],
)
def test_two_urls_that_are_not_one_database_under_two_roles_are_refused(
    monkeypatch: pytest.MonkeyPatch, app: str, owner: str, message: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", app)
    monkeypatch.setenv("DATABASE_OWNER_URL", owner)
    with pytest.raises(SettingError, match=message):
        owner_and_app()


def test_without_an_owner_url_there_is_nothing_to_grant(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_OWNER_URL"}
    out = subprocess.run(
        [sys.executable, "-m", "stromal.cli", "db", "grant"],
        env=env | {"STROMAL_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 2 and "DATABASE_OWNER_URL is not set" in out.stderr


def _admin_execute(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


@pytest.fixture(scope="module")
def split_database(
    tmp_path_factory: pytest.TempPathFactory, django_db_setup: Any, django_db_blocker: Any
) -> Iterator[dict[str, str]]:
    """A new database owned by a new owner role, migrated as it, and a new application role."""
    if connection.vendor != "postgresql":
        pytest.skip("database roles are PostgreSQL's (SQLite has none)")
    tag = uuid.uuid4().hex[:10]
    owner, app, name = f"stromal_owner_{tag}", f"stromal_app_{tag}", f"stromal_roles_{tag}"
    with django_db_blocker.unblock():
        settings = connection.settings_dict
        base = f"postgresql://{{role}}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{name}"
        _admin_execute(f'CREATE ROLE "{owner}" LOGIN')
        _admin_execute(f'CREATE ROLE "{app}" LOGIN')
        _admin_execute(f'CREATE DATABASE "{name}" OWNER "{owner}"')
        try:
            env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DATABASE_OWNER_URL"}}
            env["STROMAL_VAR_DIR"] = str(tmp_path_factory.mktemp("var"))
            urls = {"owner": base.format(role=owner), "app": base.format(role=app)}
            migrated = _stromal(
                env | {"DATABASE_URL": urls["app"], "DATABASE_OWNER_URL": urls["owner"]},
                "manage",
                "migrate",
                "--noinput",
            )
            assert migrated.returncode == 0, migrated.stdout + migrated.stderr
            assert f"granted {app} its rights" in migrated.stdout
            yield {**urls, "app_role": app, "env_var_dir": env["STROMAL_VAR_DIR"]}
        finally:
            _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            _admin_execute(f'DROP ROLE IF EXISTS "{app}"')
            _admin_execute(f'DROP ROLE IF EXISTS "{owner}"')


def _stromal(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stromal.cli", *args], env=env, capture_output=True, text=True, check=False
    )


def _app_env(split: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DATABASE_OWNER_URL"}}
    return env | {"DATABASE_URL": split["app"], "STROMAL_VAR_DIR": split["env_var_dir"]}


WRITE_AS_APP = """
from stromal.cli._django import setup_django
setup_django()
from stromal.accounts.models import Site
from stromal.audit.services import audit_record
site = Site.objects.create(code="roles", name="Roles Clinic")
audit_record(actor=None, action="create", instance=site)
audit_record(actor=None, action="update", instance=site, changes={"name": ["a", "b"]})
print("written")
"""

REFUSED_TO_THE_APP = {
    "alter the audit table": "ALTER TABLE audit_auditevent ADD COLUMN forged text",
    "disable the append-only guard": "ALTER TABLE audit_auditevent DISABLE TRIGGER USER",
    "drop the guard": "DROP TRIGGER audit_event_no_update_delete ON audit_auditevent",
    "update an audit event": "UPDATE audit_auditevent SET reason = 'rewritten'",
    "delete an audit event": "DELETE FROM audit_auditevent",
    "truncate the trail": "TRUNCATE audit_auditevent",
    "delete the chain head": "DELETE FROM audit_auditchainhead",
    "record a migration": "INSERT INTO django_migrations (app, name, applied) VALUES ('x', 'y', now())",
    "create a table": "CREATE TABLE forged (id int)",
}


@pytest.mark.django_db
def test_the_app_role_writes_data_but_cannot_alter_disable_update_or_delete_the_trail(
    split_database: dict[str, str],
) -> None:
    written = subprocess.run(
        [sys.executable, "-c", WRITE_AS_APP], env=_app_env(split_database), capture_output=True, text=True
    )
    assert written.returncode == 0 and "written" in written.stdout, written.stderr
    refused = {}
    with psycopg.connect(split_database["app"], autocommit=True) as app:
        for what, sql in REFUSED_TO_THE_APP.items():
            try:
                app.execute(sql)
            except psycopg.errors.InsufficientPrivilege as exc:
                refused[what] = str(exc)
        assert app.execute("SELECT count(*) FROM audit_auditevent").fetchone() == (2,)
    assert set(refused) == set(REFUSED_TO_THE_APP), set(REFUSED_TO_THE_APP) - set(refused)
    # The same statement works for the owner: the refusal above is the role, not the SQL.
    with psycopg.connect(split_database["owner"]) as owner:
        owner.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        owner.rollback()
    verified = _stromal(_app_env(split_database), "audit", "verify")
    assert verified.returncode == 0 and "audit trail intact: 2 events" in verified.stdout, verified.stdout


@pytest.mark.django_db
def test_the_app_role_cannot_run_migrations(split_database: dict[str, str]) -> None:
    back = _stromal(_app_env(split_database), "manage", "migrate", "audit", "0001", "--noinput")
    assert back.returncode != 0
    assert "must be owner" in back.stderr or "permission denied" in back.stderr, back.stderr[-2000:]
    with psycopg.connect(split_database["owner"]) as owner:
        guards = owner.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass AND NOT tgisinternal"
        ).fetchone()
        applied = owner.execute(
            "SELECT count(*) FROM django_migrations WHERE app = 'audit' AND name > '0001_initial'"
        ).fetchone()
    assert guards == (2,)
    assert applied is not None and applied[0] >= 4
