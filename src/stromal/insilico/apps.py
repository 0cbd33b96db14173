from django.apps import AppConfig


class InsilicoConfig(AppConfig):
    name = "stromal.insilico"
    label = "insilico"
    verbose_name = "In silico"
