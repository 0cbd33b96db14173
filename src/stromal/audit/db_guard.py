"""Database triggers that make the audit trail append-only.

Installed by migration ``audit.0002``. They refuse UPDATE, DELETE (and, on
PostgreSQL, TRUNCATE) of ``audit_auditevent`` whatever code or shell
touches the table through the application's database account.
"""

from __future__ import annotations

from typing import Any

_UP = {
    "sqlite": [
        """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent
           BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END;""",
        """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
           BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END;""",
    ],
    "postgresql": [
        """CREATE OR REPLACE FUNCTION audit_event_refuse_change() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION 'audit trail is append-only'; END; $$ LANGUAGE plpgsql;""",
        """CREATE TRIGGER audit_event_no_update_delete BEFORE UPDATE OR DELETE ON audit_auditevent
           FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change();""",
        """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_auditevent
           FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change();""",
    ],
}
_DOWN = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS audit_event_no_update;",
        "DROP TRIGGER IF EXISTS audit_event_no_delete;",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_event_no_update_delete ON audit_auditevent;",
        "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;",
    ],
}


def install_append_only_guard(connection: Any) -> None:
    with connection.cursor() as cursor:
        for sql in _UP.get(connection.vendor, []):
            cursor.execute(sql)


def remove_append_only_guard(connection: Any) -> None:
    with connection.cursor() as cursor:
        for sql in _DOWN.get(connection.vendor, []):
            cursor.execute(sql)
