from django.apps import AppConfig


class MfaConfig(AppConfig):
    name = "stromal.mfa"
    label = "mfa"
    verbose_name = "Second factor (TOTP and recovery codes)"
