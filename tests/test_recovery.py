"""Backup and restore drill on the suite's real database (SQLite, or PostgreSQL in CI's second run):
back up, restore into a new empty database with the command a user runs, verify the audit chain,
compare every table's row count."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from stromal.accounts.models import Site
from stromal.audit.services import audit_record
from stromal.cli import main
from stromal.recovery import backup_database, manifest_path

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def empty_database_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a `stromal` process whose database is new and empty (same engine)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["STROMAL_VAR_DIR"] = str(tmp_path / "var")
    name = ""
    if connection.vendor == "postgresql":
        name = f"stromal_restore_{uuid.uuid4().hex[:12]}"
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        s = connection.settings_dict
        env["DATABASE_URL"] = f"postgresql://{s['USER']}@{s['HOST']}:{s['PORT']}/{name}"
    yield env
    if name:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _stromal(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stromal.cli", *args], env=env, capture_output=True, text=True, check=False
    )


def _some_history() -> None:
    site = Site.objects.create(code="drill", name="Drill Clinic")
    for i in range(5):
        audit_record(actor=None, action=f"drill_{i}", instance=site, changes={"n": [i, i + 0.5]})


def test_a_backup_restores_into_an_empty_database_with_every_row_and_an_intact_chain(
    tmp_path: Path, empty_database_env: dict[str, str]
) -> None:
    _some_history()
    backup = backup_database(out=tmp_path / "stromal.backup")
    assert backup.ok
    assert backup.row_counts["audit_auditevent"] == 5
    assert manifest_path(tmp_path / "stromal.backup").exists()

    restored = _stromal(empty_database_env, "restore", str(tmp_path / "stromal.backup"))

    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert f"audit trail intact: 5 events, last hash {backup.audit.last_hash}" in restored.stdout
    assert "MISMATCH" not in restored.stdout
    again = _stromal(empty_database_env, "restore", str(tmp_path / "stromal.backup"))
    assert again.returncode == 2
    assert "restore only into an empty database" in again.stdout


def test_a_backup_is_never_overwritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "stromal.backup").write_text("earlier backup")
    assert main(["backup", "--out", str(tmp_path / "stromal.backup")]) == 2
    assert "never overwritten" in capsys.readouterr().out
    assert (tmp_path / "stromal.backup").read_text() == "earlier backup"


@pytest.mark.parametrize("damage", ["truncated", "not_a_database"])
def test_a_damaged_backup_is_refused_in_one_line_and_leaves_no_database_behind(
    tmp_path: Path, empty_database_env: dict[str, str], damage: str
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite check; pg_restore refuses a damaged dump itself")
    source = tmp_path / "damaged.backup"
    if damage == "truncated":
        _some_history()
        backup_database(out=tmp_path / "whole.backup")
        whole = (tmp_path / "whole.backup").read_bytes()
        source.write_bytes(whole[: len(whole) // 2])
    else:
        source.write_text("this is a spreadsheet, not a database\n" * 200)
    restored = _stromal(empty_database_env, "restore", str(source))
    assert restored.returncode == 2, restored.stdout + restored.stderr
    assert "Traceback" not in restored.stdout + restored.stderr
    assert restored.stdout.strip().count("\n") == 0
    assert "is not a readable SQLite backup" in restored.stdout
    assert not (Path(empty_database_env["STROMAL_VAR_DIR"]) / "stromal.sqlite3").exists()
