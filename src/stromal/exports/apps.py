from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "stromal.exports"
    label = "exports"
    verbose_name = "Data exports"
