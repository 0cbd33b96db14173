from __future__ import annotations

from django.apps import AppConfig


class AdministrationsConfig(AppConfig):
    name = "stromal.administrations"
    label = "administrations"
    verbose_name = "Administration sessions and adverse events"
