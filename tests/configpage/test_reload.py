"""The agents' reload_config: a change they can take is taken at once, one in a section
they built their state from at start is refused whole, with the sections named."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from pyros.agents.agent import Agent
from pyros.config.loader import active_config
from pyros.majordome.agent import MajordomeAgent
from tests.configpage.conftest import EXAMPLE

CMD = SimpleNamespace(sender="test", pk=1)


def test_a_change_the_agent_can_take_is_taken(unit_file):
    agent = Agent("reloader")
    assert active_config().safety.max_wind_speed == 14.0
    unit_file.write_text(EXAMPLE.replace("max_wind_speed = 14.0", "max_wind_speed = 11.0"))
    assert active_config().safety.max_wind_speed == 14.0  # cached until told
    assert agent.generic_reload_config(CMD) == {"reloaded": True, "changed": ["safety"],
                                                "restart_for": []}
    assert active_config().safety.max_wind_speed == 11.0


def test_a_section_read_at_start_needs_a_restart_and_nothing_is_taken(unit_file):
    agent = Agent.__new__(MajordomeAgent)  # no devices: only the class's table matters
    Agent.__init__(agent, "majordome")
    active_config()  # read at its start
    unit_file.write_text(EXAMPLE.replace("close_within = 180.0", "close_within = 100.0")
                         .replace("max_wind_speed = 14.0", "max_wind_speed = 11.0"))
    result = agent.generic_reload_config(CMD)
    assert result == {"reloaded": False, "changed": ["majordome", "safety"],
                      "restart_for": ["majordome"]}
    assert active_config().majordome.close_within == 180.0
    assert active_config().safety.max_wind_speed == 14.0


def test_an_invalid_file_is_refused_and_the_old_configuration_kept(unit_file):
    agent = Agent("reloader")
    active_config()
    unit_file.write_text(EXAMPLE.replace("max_wind_speed = 14.0", "max_wind_speed = -1"))
    with pytest.raises(ValueError, match=r"safety\.max_wind_speed"):
        agent.generic_reload_config(CMD)
    assert active_config().safety.max_wind_speed == 14.0


def test_every_agent_class_can_be_reloaded_and_says_what_needs_a_restart():
    from pyros.agents.registry import AGENTS, agent_class
    from pyros.config.schema import UnitConfig

    for name in AGENTS:
        sections = agent_class(name).restart_sections
        assert "database" in sections
        assert sections <= set(UnitConfig.model_fields), name
