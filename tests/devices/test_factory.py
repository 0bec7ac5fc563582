"""Which backend class the configuration gives each device."""

import pytest

from pyros import paths
from pyros.config.loader import ConfigError, parse_config
from pyros.devices.factory import UnsupportedBackend, build_devices
from pyros.devices.indi.devices import IndiCamera, IndiFilterWheel, IndiMount
from pyros.devices.sim import SimCamera, SimFilterWheel, SimMount

EXAMPLE = paths.EXAMPLE_CONFIG.read_text()
INDI_MOUNT = EXAMPLE.replace(
    '[devices.mount]\nkind = "mount"\nbackend = "sim"\naddress = "127.0.0.1:5000"',
    '[devices.mount]\nkind = "mount"\nbackend = "indi"\naddress = "127.0.0.1:7624"\n'
    'indi_device = "Telescope Simulator"')


def test_the_example_is_all_simulated():
    devices = build_devices(parse_config(EXAMPLE))
    assert isinstance(devices.mount, SimMount)
    assert isinstance(devices.cameras["VIS"], SimCamera)
    assert isinstance(devices.filter_wheels["NIR"], SimFilterWheel)
    assert devices.dome is not None and len(devices.focusers) == 1


def test_indi_devices_share_one_connection_per_server():
    text = INDI_MOUNT.replace(
        '[devices.camera_vis]\nkind = "camera"\nbackend = "sim"\naddress = "127.0.0.1:5001"',
        '[devices.camera_vis]\nkind = "camera"\nbackend = "indi"\naddress = "127.0.0.1:7624"\n'
        'indi_device = "CCD Simulator"\n\n[devices.wheel_vis]\nkind = "filterwheel"\n'
        'backend = "indi"\naddress = "127.0.0.1:7624"\nindi_device = "Filter Simulator"')
    text = text.replace('camera = "camera_vis"',
                        'camera = "camera_vis"\nfilter_wheel = "wheel_vis"')
    devices = build_devices(parse_config(text))
    assert isinstance(devices.mount, IndiMount)
    assert isinstance(devices.cameras["VIS"], IndiCamera)
    assert isinstance(devices.filter_wheels["VIS"], IndiFilterWheel)
    assert isinstance(devices.cameras["NIR"], SimCamera)
    assert devices.mount.link.client is devices.cameras["VIS"].link.client


def test_configuration_mistakes_are_named():
    with pytest.raises(UnsupportedBackend, match="needs indi_device"):
        build_devices(parse_config(INDI_MOUNT.replace('indi_device = "Telescope Simulator"', "")))
    with pytest.raises(ConfigError, match=r"channels\[0\]\.filter_wheel 'nope' is not a key"):
        parse_config(EXAMPLE.replace('camera = "camera_vis"',
                                     'camera = "camera_vis"\nfilter_wheel = "nope"'))


def test_an_enabled_pointing_model_wraps_the_mount_of_either_backend():
    from pyros.devices.corrected import CorrectedMount

    for text in (EXAMPLE, INDI_MOUNT):
        enabled = text.replace("limits = { min_altitude = 15.0, max_hour_angle = 6.0 }",
                               "limits = { min_altitude = 15.0, max_hour_angle = 6.0 }\n"
                               "pointing_model = { enabled = true }")
        mount = build_devices(parse_config(enabled)).mount
        assert isinstance(mount, CorrectedMount)
        assert isinstance(mount.mount, SimMount if text is EXAMPLE else IndiMount)
