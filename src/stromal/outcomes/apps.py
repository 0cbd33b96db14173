from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "stromal.outcomes"
    label = "outcomes"
    verbose_name = "Registry analytics (read-only)"
