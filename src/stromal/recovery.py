"""Backup and restore of the whole database, each proved by the audit chain and row counts.

A backup is the database engine's own copy, never a re-serialisation (Django's
``dumpdata``/``loaddata`` truncate audit timestamps, which breaks the chain):

- SQLite: the online backup API (``sqlite3.Connection.backup``), a consistent
  copy while the application keeps running;
- PostgreSQL: ``pg_dump --format=custom`` from a snapshot that this process
  exports and holds, so the row counts and the audit verification written
  beside the dump describe exactly what the dump contains.

Beside the backup, ``<backup>.manifest.json`` records the engine, the time,
the Stromal version, the row count of every table and the audit chain's
length and last hash. ``restore_database`` refuses a target database that
already holds tables, restores, verifies the audit chain and compares every
table's row count with the manifest.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from stromal import __version__
from stromal.audit.chain import HASHED_FIELDS, ChainReport, verify_events
from stromal.audit.services import audit_chain_verify

MANIFEST_SUFFIX = ".manifest.json"

UNSUPPORTED_ENGINE = "backup and restore support SQLite and PostgreSQL, not {vendor}"
TARGET_NOT_EMPTY = (
    "the target database {name} already holds {count} tables; restore only into an empty database"
)
BACKUP_EXISTS = "{path} already exists; choose a new file name (a backup is never overwritten)"
SOURCE_MISSING = "{path} does not exist"
SOURCE_NOT_SQLITE = (
    "{path} is not a readable SQLite backup ({reason}); it may be truncated or another kind of file. "
    "Nothing was restored"
)
TOOL_MISSING = "{tool} is not installed (PostgreSQL client tools are needed for PostgreSQL backups)"


class RecoveryError(Exception):
    """A backup or restore that cannot proceed; the message says why."""


@dataclass(frozen=True)
class RecoveryReport:
    """What a backup or restore produced and what it proved."""

    path: Path
    row_counts: dict[str, int]
    audit: ChainReport
    count_mismatches: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.audit.intact and not self.count_mismatches


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name + MANIFEST_SUFFIX)


def table_row_counts(connection: BaseDatabaseWrapper) -> dict[str, int]:
    """Rows in every table of the database (application and framework tables)."""
    counts: dict[str, int] = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = int(cursor.fetchone()[0])
    return counts


def _write_manifest(backup: Path, vendor: str, counts: Mapping[str, int], audit: ChainReport) -> None:
    manifest = {
        "engine": vendor,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "stromal_version": __version__,
        "row_counts": dict(counts),
        "audit_events": audit.events,
        "audit_last_hash": audit.last_hash,
        "audit_intact": audit.intact,
    }
    manifest_path(backup).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def _pg_url(settings: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    """A libpq connection string for the database and the environment carrying the password."""
    parts = [f"dbname={settings['NAME']}"]
    for key, name in (("HOST", "host"), ("PORT", "port"), ("USER", "user")):
        if settings.get(key):
            parts.append(f"{name}={settings[key]}")
    env = dict(os.environ)
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings["PASSWORD"])
    return " ".join(parts), env


def _require_tool(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        raise RecoveryError(TOOL_MISSING.format(tool=tool))
    return found


def backup_database(*, out: Path, using: str = "default") -> RecoveryReport:
    """Copy the database to ``out`` (and ``out``.manifest.json).

    Raises:
        RecoveryError: ``out`` exists, the engine is unsupported, or the copy failed.
    """
    if out.exists():
        raise RecoveryError(BACKUP_EXISTS.format(path=out))
    out.parent.mkdir(parents=True, exist_ok=True)
    connection = connections[using]
    vendor = connection.vendor
    if vendor == "sqlite":
        connection.ensure_connection()
        raw = connection.connection
        with closing(sqlite3.connect(out)) as target:
            raw.backup(target)
        counts, audit = _inspect_sqlite_file(out)
    elif vendor == "postgresql":
        pg_dump = _require_tool("pg_dump")
        with transaction.atomic(using=using):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
            dsn, env = _pg_url(connection.settings_dict)
            result = subprocess.run(
                [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={out}", dsn],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                out.unlink(missing_ok=True)
                raise RecoveryError(f"pg_dump failed: {result.stderr.strip()}")
            counts = table_row_counts(connection)
            audit = audit_chain_verify(using=using)
    else:
        raise RecoveryError(UNSUPPORTED_ENGINE.format(vendor=vendor))
    _write_manifest(out, vendor, counts, audit)
    return RecoveryReport(out, counts, audit)


def _inspect_sqlite_file(path: Path) -> tuple[dict[str, int], ChainReport]:
    """Row counts and audit verification of a SQLite backup file, read without Django.

    Django stores an aware date-time in SQLite as naive UTC text and JSON as
    text; both are turned back into the values the chain was computed from.
    """
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        tables = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        counts = {t: int(db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]) for t in tables}
        columns = ("id", "previous_hash", "event_hash", *HASHED_FIELDS)
        cursor = db.execute(f"SELECT {', '.join(columns)} FROM audit_auditevent ORDER BY sequence")
        events = (_sqlite_event(dict(zip(columns, row, strict=True))) for row in cursor)
        head = db.execute("SELECT sequence FROM audit_auditchainhead WHERE id = 1").fetchone()
        audit = verify_events(events, head_sequence=int(head[0]) if head else None)
    return counts, audit


def _sqlite_event(row: dict[str, Any]) -> dict[str, Any]:
    row["at"] = dt.datetime.fromisoformat(row["at"]).replace(tzinfo=dt.UTC)
    row["changes"] = json.loads(row["changes"])
    return row


def _compare(expected: Mapping[str, int], found: Mapping[str, int]) -> dict[str, tuple[int, int]]:
    tables = set(expected) | set(found)
    return {
        t: (expected.get(t, 0), found.get(t, 0))
        for t in sorted(tables)
        if expected.get(t, 0) != found.get(t, 0)
    }


def restore_database(*, source: Path, using: str = "default") -> RecoveryReport:
    """Restore ``source`` into the (empty) database ``using`` points at, then verify it.

    Raises:
        RecoveryError: the source is missing, is not a whole SQLite database
            (truncated, another kind of file), the target is not empty, the
            engine is unsupported, or the restore tool failed. Nothing is left
            behind then: an embedded SQLite target file that did not exist
            before is removed again.
    """
    if not source.exists():
        raise RecoveryError(SOURCE_MISSING.format(path=source))
    connection = connections[using]
    vendor = connection.vendor
    if vendor == "sqlite":
        _check_sqlite_source(source)
        target = Path(str(connection.settings_dict["NAME"]))
        target_existed = target.exists()
        try:
            return _restore(source, connection, using)
        except (RecoveryError, sqlite3.DatabaseError) as exc:
            connection.close()
            if not target_existed and target.exists():
                target.unlink()
            if isinstance(exc, RecoveryError):
                raise
            raise RecoveryError(SOURCE_NOT_SQLITE.format(path=source, reason=exc)) from exc
    return _restore(source, connection, using)


def _check_sqlite_source(source: Path) -> None:
    """Refuse a file that SQLite cannot read whole (``PRAGMA quick_check``) before touching the target."""
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as origin:
            verdict = origin.execute("PRAGMA quick_check").fetchone()
    except sqlite3.DatabaseError as exc:
        raise RecoveryError(SOURCE_NOT_SQLITE.format(path=source, reason=exc)) from exc
    if verdict is None or verdict[0] != "ok":
        reason = verdict[0] if verdict else "no answer to an integrity check"
        raise RecoveryError(SOURCE_NOT_SQLITE.format(path=source, reason=reason))


def _restore(source: Path, connection: BaseDatabaseWrapper, using: str) -> RecoveryReport:
    vendor = connection.vendor
    with connection.cursor() as cursor:
        existing = connection.introspection.table_names(cursor)
    if existing:
        raise RecoveryError(
            TARGET_NOT_EMPTY.format(name=connection.settings_dict["NAME"], count=len(existing))
        )
    if vendor == "sqlite":
        connection.ensure_connection()
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as origin:
            origin.backup(connection.connection)
    elif vendor == "postgresql":
        pg_restore = _require_tool("pg_restore")
        connection.close()
        dsn, env = _pg_url(connection.settings_dict)
        result = subprocess.run(
            [pg_restore, "--no-owner", "--exit-on-error", f"--dbname={dsn}", str(source)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RecoveryError(f"pg_restore failed: {result.stderr.strip()}")
    else:
        raise RecoveryError(UNSUPPORTED_ENGINE.format(vendor=vendor))
    counts = table_row_counts(connection)
    audit = audit_chain_verify(using=using)
    mismatches: dict[str, tuple[int, int]] = {}
    manifest = manifest_path(source)
    if manifest.exists():
        mismatches = _compare(json.loads(manifest.read_text())["row_counts"], counts)
    return RecoveryReport(source, counts, audit, mismatches)
