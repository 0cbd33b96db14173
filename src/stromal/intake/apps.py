from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "stromal.intake"
    label = "intake"
