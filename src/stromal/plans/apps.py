from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "stromal.plans"
    label = "plans"
