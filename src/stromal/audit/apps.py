from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "stromal.audit"
    label = "audit"
    verbose_name = "Audit trail"
