from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "stromal.fhir"
    label = "fhir"
    verbose_name = "FHIR R4B: patient bundles, bulk export, laboratory import"
