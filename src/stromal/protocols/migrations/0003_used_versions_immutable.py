"""The database refuses to change the definition of a protocol version a plan has used."""

from django.db import migrations

SQL = {
    "sqlite": (
        """CREATE TRIGGER protocol_used_is_immutable BEFORE UPDATE ON protocols_protocolversion
           WHEN OLD.first_used_at IS NOT NULL AND (NEW.definition IS NOT OLD.definition
                OR NEW.code IS NOT OLD.code OR NEW.version IS NOT OLD.version)
           BEGIN SELECT RAISE(ABORT, 'a protocol version in use is immutable; add a new version'); END;""",
        "DROP TRIGGER IF EXISTS protocol_used_is_immutable;",
    ),
    "postgresql": (
        """CREATE OR REPLACE FUNCTION protocol_refuse_change() RETURNS trigger AS $$
           BEGIN
             IF OLD.first_used_at IS NOT NULL AND (NEW.definition IS DISTINCT FROM OLD.definition
                OR NEW.code IS DISTINCT FROM OLD.code OR NEW.version IS DISTINCT FROM OLD.version) THEN
               RAISE EXCEPTION 'a protocol version in use is immutable; add a new version';
             END IF;
             RETURN NEW;
           END; $$ LANGUAGE plpgsql;
           CREATE TRIGGER protocol_used_is_immutable BEFORE UPDATE ON protocols_protocolversion
           FOR EACH ROW EXECUTE FUNCTION protocol_refuse_change();""",
        "DROP TRIGGER IF EXISTS protocol_used_is_immutable ON protocols_protocolversion;",
    ),
}


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    sql = SQL.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql[0])


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    sql = SQL.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql[1])


class Migration(migrations.Migration):
    dependencies = [("protocols", "0002_load_builtin_protocols")]
    operations = [migrations.RunPython(forwards, backwards)]
