from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "stromal.accounts"
    label = "accounts"
    verbose_name = "Accounts, roles and sites"
