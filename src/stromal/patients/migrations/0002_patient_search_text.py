"""Patients get a folded search text (accents and case removed) so a search of
several words ("Ada Lovelace", "lovelace ada", "Zoe" for "Zoë") finds them."""

from __future__ import annotations

from typing import Any

from django.db import migrations, models


def fill_search_text(apps: Any, schema_editor: Any) -> None:
    from stromal.patients.names import search_text

    Patient = apps.get_model("patients", "Patient")
    for patient in Patient.objects.only("id", "given_name", "family_name", "mrn").iterator(chunk_size=2000):
        Patient.objects.filter(pk=patient.pk).update(
            search_text=search_text(
                given_name=patient.given_name, family_name=patient.family_name, mrn=patient.mrn
            )
        )


class Migration(migrations.Migration):
    dependencies = [("patients", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="patient",
            name="search_text",
            field=models.CharField(blank=True, default="", editable=False, max_length=300),
        ),
        migrations.RunPython(fill_search_text, migrations.RunPython.noop),
    ]
