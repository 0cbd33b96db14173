from django.db import migrations, models

from stromal.audit.db_guard import install_append_only_guard, remove_append_only_guard


def reinstall_guard(apps, schema_editor):  # type: ignore[no-untyped-def]
    # SQLite alters a column by rebuilding the table, which drops its triggers.
    remove_append_only_guard(schema_editor.connection)
    install_append_only_guard(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_hash_chain")]

    operations = [
        migrations.AlterField(
            model_name="auditevent", name="sequence", field=models.BigIntegerField(unique=True)
        ),
        migrations.RunPython(reinstall_guard, migrations.RunPython.noop),
    ]
