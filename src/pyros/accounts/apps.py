from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "pyros.accounts"
    label = "accounts"
    verbose_name = "Accounts and profiles"

    def ready(self) -> None:
        # Connects the guard that keeps the last active SysAdmin from being deleted.
        from pyros.accounts import management  # noqa: F401
