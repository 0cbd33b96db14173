from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "stromal.api"
    label = "api"
    verbose_name = "REST API and API tokens"
