"""What the fault night observes: the example unit made light enough for a loaded
two-core machine, and a queue of short two-channel sequences near the meridian so that
frames come every few wall seconds all night long (a fault that stops the observing
shows at once; one that does not shows as frames that kept coming)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pyros.simulators.thread import edit_settings, example_on_free_ports

#: Dark time at the example site (20:00 local), as the live night tests use.
NIGHT = datetime(2026, 11, 22, 3, 0, 0, tzinfo=UTC)
SEQUENCE_MINUTES = 4.0
EXPOSURE = 20.0
FRAMES = 3


def unit_text(heartbeat: float) -> str:
    """The example configuration on free ports: a short safe delay (the night must open
    within seconds of the start), small frames (2,048² frames cost the loaded machine
    more than the faults do), a generous status timeout (a simulator slow to answer on
    a busy machine is not the fault being measured) and the devices' watchdog after
    ``heartbeat`` wall seconds without the majordome (the watchdog counts wall time,
    as the heartbeats do, whatever the clock's speed)."""
    return edit_settings(example_on_free_ports(), (
        ("safe_delay = 900.0", "safe_delay = 60.0"),
        ("width = 2048", "width = 256"), ("height = 2048", "height = 256"),
        ("heartbeat = 60.0", f"heartbeat = {heartbeat:g}"),
        ("status_timeout = 2.0", "status_timeout = 10.0")))


def sequences(count: int, start: datetime, latitude: float, longitude: float) -> list[dict]:
    """``count`` sequences of a few minutes, each near the meridian at its own time, in
    the JSON format of requests."""
    from pyros.observations.builders import meridian_ra, two_channel_sequence

    return [two_channel_sequence(
        f"fault night {index + 1}", meridian_ra(start + timedelta(minutes=SEQUENCE_MINUTES
                                                                  * index), longitude),
        latitude - 5.0, target=f"field {index + 1}", start="2026-11-22T00:00:00Z",
        end="2026-11-23T00:00:00Z", minutes=SEQUENCE_MINUTES, exposure=EXPOSURE,
        frames=FRAMES) for index in range(count)]


def prepare_database(count: int) -> int:
    """Migrate, load the initial data, put the observatory in SCHEDULER mode and submit
    the night's requests (as the administrator, in the example program); the number of
    sequences submitted."""
    from django.core.management import call_command

    from pyros import clock
    from pyros.accounts.models import User
    from pyros.config.loader import active_config
    from pyros.initial_data import EXAMPLE_PROGRAM, load_initial_data
    from pyros.instruments.models import Mode, OperatingMode
    from pyros.observations import json_format
    from pyros.observations import store as requests_store

    call_command("migrate", verbosity=0, interactive=False)
    load_initial_data(admin_password="fault-night-admin", now=NIGHT)
    unit = active_config()
    admin = User.objects.get(username="admin")
    OperatingMode.change(Mode.SCHEDULER, by="pyros bench faults", at=clock.now())
    made = sequences(count, NIGHT, unit.site.latitude, unit.site.longitude)
    for first in range(0, len(made), 10):
        spec = json_format.spec_from_data({
            "name": f"fault night {first // 10 + 1}", "scientific_program": EXAMPLE_PROGRAM,
            "target_type": "field", "submitted": True, "sequences": made[first:first + 10]})
        requests_store.create_request(spec, admin, now=NIGHT)
    return len(made)
