"""Store the protocols Stromal ships, once per (code, version)."""

from django.db import migrations


def load(apps, schema_editor):  # type: ignore[no-untyped-def]
    from stromal.clinical.protocol import builtin_protocols
    from stromal.protocols.models import definition_from_protocol

    ProtocolVersion = apps.get_model("protocols", "ProtocolVersion")
    for protocol in builtin_protocols():
        ProtocolVersion.objects.get_or_create(
            code=protocol.code,
            version=protocol.version,
            defaults={
                "title": protocol.title,
                "source": protocol.source,
                "definition": definition_from_protocol(protocol),
                "builtin": True,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("protocols", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
