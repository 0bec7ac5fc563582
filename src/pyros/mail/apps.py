from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "pyros.mail"
    label = "mail"
    verbose_name = "Mail outbox"
    default_auto_field = "django.db.models.BigAutoField"
