from django.db import migrations

from stromal.audit.db_guard import install_append_only_guard, remove_append_only_guard


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    install_append_only_guard(schema_editor.connection)


def remove(apps, schema_editor):  # type: ignore[no-untyped-def]
    remove_append_only_guard(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
