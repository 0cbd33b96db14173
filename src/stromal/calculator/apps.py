from django.apps import AppConfig


class CalculatorConfig(AppConfig):
    name = "stromal.calculator"
    label = "calculator"
    verbose_name = "Bedside ARDS calculator"
