from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "pyros.agents"
    label = "agents"
    verbose_name = "Agents and commands"
