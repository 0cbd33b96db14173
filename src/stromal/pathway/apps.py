from django.apps import AppConfig


class PathwayConfig(AppConfig):
    name = "stromal.pathway"
    label = "pathway"
