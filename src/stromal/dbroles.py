"""Two PostgreSQL roles: the owner runs migrations, the application owns no table.

``DATABASE_URL`` is the application's role: it reads and writes data rows, may
only add to the audit trail (``INSERT`` and ``SELECT`` on ``audit_auditevent``,
no ``UPDATE``/``DELETE``/``TRUNCATE``) and only advance the chain head, and can
read but not write ``django_migrations``. Owning no table, it cannot ``ALTER``
a table, ``DISABLE TRIGGER`` the append-only guard or run a migration (issue #12).

``DATABASE_OWNER_URL`` (same server and database, another role) owns the
schema: ``stromal manage migrate`` and ``stromal restore`` run as it, then
grant the application role its rights (``grant_app_role``, also ``stromal db
grant``). Without ``DATABASE_OWNER_URL`` everything runs as one role, as on
SQLite, which has no roles.
"""

from __future__ import annotations

import os
from typing import Any

import dj_database_url

from stromal.env import SettingError, env_str

OWNER_URL = "DATABASE_OWNER_URL"
APP_URL = "DATABASE_URL"

#: Tables the application may add to but not change: {table: privileges revoked after the data grant}.
RESTRICTED = {
    "audit_auditevent": ("UPDATE", "DELETE", "TRUNCATE"),
    "audit_auditchainhead": ("DELETE", "TRUNCATE"),
    "django_migrations": ("INSERT", "UPDATE", "DELETE", "TRUNCATE"),
}


def _parse(name: str, url: str) -> dict[str, Any]:
    try:
        return dict(dj_database_url.parse(url))
    except ValueError as exc:
        raise SettingError(f"{name}: {exc}") from exc


def owner_and_app() -> tuple[str, str] | None:
    """``(owner URL, application role name)`` when ``DATABASE_OWNER_URL`` is set, else ``None``.

    Raises:
        SettingError: the two URLs do not name one PostgreSQL database under two roles.
    """
    owner_url = env_str(OWNER_URL, "")
    if not owner_url:
        return None
    app_url = env_str(APP_URL, "")
    if not app_url:
        raise SettingError(f"{OWNER_URL} is set but {APP_URL} is not; set both (see the README)")
    owner, app = _parse(OWNER_URL, owner_url), _parse(APP_URL, app_url)
    if "postgresql" not in owner["ENGINE"] or "postgresql" not in app["ENGINE"]:
        raise SettingError(f"{OWNER_URL}: a separate owner role needs PostgreSQL for both URLs")
    where = ("HOST", "PORT", "NAME")
    if [owner.get(k) for k in where] != [app.get(k) for k in where]:
        raise SettingError(f"{OWNER_URL} and {APP_URL} must name the same host, port and database")
    if not app.get("USER") or owner.get("USER") == app.get("USER"):
        raise SettingError(f"{OWNER_URL} and {APP_URL} must name two different roles (user names)")
    return owner_url, str(app["USER"])


def connect_as_owner() -> str | None:
    """Before Django starts: make this process connect as the owner; return the application role.

    ``None`` (and nothing changed) when ``DATABASE_OWNER_URL`` is not set.
    """
    found = owner_and_app()
    if found is None:
        return None
    os.environ[APP_URL] = found[0]
    return found[1]


def grant_statements(app_role: str, tables: set[str], quote: Any) -> list[str]:
    """The SQL that gives ``app_role`` data rights and no more (``quote``: the backend's name quoting)."""
    role = quote(app_role)
    statements = [
        # PostgreSQL before 15 let every role create tables in public; no role but the owner may.
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
    ]
    statements += [
        f"REVOKE {', '.join(privileges)} ON {quote(table)} FROM {role}"
        for table, privileges in RESTRICTED.items()
        if table in tables
    ]
    return statements


def grant_app_role(connection: Any, app_role: str) -> list[str]:
    """Run ``grant_statements`` on ``connection`` (the owner's), in one transaction; return them."""
    from django.db import transaction

    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
    statements = grant_statements(app_role, tables, connection.ops.quote_name)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
    return statements
