"""Link the audit trail into a hash chain (``stromal.audit.chain``).

Existing events get sequences in the order they were written (time, then id)
and their hashes; the append-only guard is lifted for that one backfill and
put back in the same transaction.
"""

import django.utils.timezone
from django.db import migrations, models

from stromal.audit.chain import GENESIS_HASH, HASHED_FIELDS, event_digest
from stromal.audit.db_guard import install_append_only_guard, remove_append_only_guard

BATCH = 1000


def backfill(apps, schema_editor):  # type: ignore[no-untyped-def]
    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditChainHead = apps.get_model("audit", "AuditChainHead")
    connection = schema_editor.connection
    remove_append_only_guard(connection)
    previous_hash = GENESIS_HASH
    sequence = 0
    last_at = None
    batch = []
    for event in AuditEvent.objects.order_by("at", "id").iterator(chunk_size=BATCH):
        sequence += 1
        event.sequence = sequence
        event.previous_hash = previous_hash
        event.event_hash = event_digest({n: getattr(event, n) for n in HASHED_FIELDS}, previous_hash)
        previous_hash = event.event_hash
        last_at = event.at
        batch.append(event)
        if len(batch) >= BATCH:
            AuditEvent.objects.bulk_update(batch, ["sequence", "previous_hash", "event_hash"])
            batch = []
    if batch:
        AuditEvent.objects.bulk_update(batch, ["sequence", "previous_hash", "event_hash"])
    AuditChainHead.objects.create(pk=1, sequence=sequence, event_hash=previous_hash, at=last_at)
    install_append_only_guard(connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]

    operations = [
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("sequence", models.BigIntegerField(default=0)),
                ("event_hash", models.CharField(max_length=64)),
                ("at", models.DateTimeField(null=True)),
            ],
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="source",
            field=models.CharField(blank=True, default="", max_length=200),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent", name="sequence", field=models.BigIntegerField(null=True)
        ),
        migrations.AddField(
            model_name="auditevent",
            name="previous_hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="event_hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
