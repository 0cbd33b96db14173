from django.apps import AppConfig


class ProtocolsConfig(AppConfig):
    name = "stromal.protocols"
    label = "protocols"
