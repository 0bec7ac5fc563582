from django.apps import AppConfig


class ProposalsConfig(AppConfig):
    name = "pyros.proposals"
    label = "proposals"
    verbose_name = "Proposals and the TAC"
