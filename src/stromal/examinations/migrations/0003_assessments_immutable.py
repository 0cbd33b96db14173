"""The database refuses to rewrite a stored assessment (a later rule change adds a new snapshot)."""

from django.db import migrations

SQL = {
    "sqlite": (
        """CREATE TRIGGER assessment_no_update BEFORE UPDATE ON examinations_assessment
           BEGIN SELECT RAISE(ABORT, 'assessments are immutable snapshots'); END;""",
        "DROP TRIGGER IF EXISTS assessment_no_update;",
    ),
    "postgresql": (
        """CREATE OR REPLACE FUNCTION assessment_refuse_update() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION 'assessments are immutable snapshots'; END; $$ LANGUAGE plpgsql;
           CREATE TRIGGER assessment_no_update BEFORE UPDATE ON examinations_assessment
           FOR EACH ROW EXECUTE FUNCTION assessment_refuse_update();""",
        "DROP TRIGGER IF EXISTS assessment_no_update ON examinations_assessment;",
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
    dependencies = [("examinations", "0002_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
