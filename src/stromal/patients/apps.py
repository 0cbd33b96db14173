from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "stromal.patients"
    label = "patients"
