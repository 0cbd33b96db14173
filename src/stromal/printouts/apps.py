from django.apps import AppConfig


class PrintoutsConfig(AppConfig):
    name = "stromal.printouts"
    label = "printouts"
    verbose_name = "Printouts (print layout and PDF)"
