from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "stromal.monitoring"
    label = "monitoring"
    verbose_name = "Monitoring and data review"
