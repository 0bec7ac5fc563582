"""Which backend class the configuration gives each device."""

import pytest

from pyros import paths
from pyros.config.loader import ConfigError, parse_config
from pyros.devices.factory import UnsupportedBackend, build_devices
from pyros.devices.indi.camera import IndiCamera
from pyros.devices.indi.devices import IndiFilterWheel, IndiMount
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


def test_devices_name_their_indiserver_and_the_camera_snoops_its_neighbours():
    text = INDI_MOUNT.replace('address = "127.0.0.1:7624"', 'server = "dome_pc"').replace(
        '[devices.camera_vis]\nkind = "camera"\nbackend = "sim"\naddress = "127.0.0.1:5001"',
        '[devices.camera_vis]\nkind = "camera"\nbackend = "indi"\nserver = "dome_pc"\n'
        'indi_device = "CCD Simulator"\n\n[devices.wheel_vis]\nkind = "filterwheel"\n'
        'backend = "indi"\nserver = "dome_pc"\nindi_device = "Filter Simulator"\n\n'
        '[devices.watchdog]\nkind = "watchdog"\nbackend = "indi"\nserver = "dome_pc"\n'
        'indi_device = "WatchDog"')
    text = text.replace('camera = "camera_vis"',
                        'camera = "camera_vis"\nfilter_wheel = "wheel_vis"')
    text = text.replace("[devices.mount]", '[indi_servers]\ndome_pc = "10.0.0.7:7624"\n\n'
                                           "[devices.mount]")
    devices = build_devices(parse_config(text))
    camera = devices.cameras["VIS"]
    assert isinstance(camera, IndiCamera) and isinstance(devices.mount, IndiMount)
    assert camera.link.client.address == "10.0.0.7:7624"
    assert devices.mount.link.client is camera.link.client
    # The focuser is simulated: the driver cannot snoop it, PyROS writes its keyword.
    assert camera.snoop == {"ACTIVE_TELESCOPE": "Telescope Simulator",
                            "ACTIVE_FILTER": "Filter Simulator"}
    assert camera.companions.focuser is devices.focusers["focuser"]
    assert camera.companions.wheel is devices.filter_wheels["VIS"]
    assert devices.mount.has_watchdog  # INDI's WatchDog driver; the sim dome has its own


def test_configuration_mistakes_are_named():
    with pytest.raises(ConfigError, match=r"devices\.mount: an indi device needs indi_device"):
        parse_config(INDI_MOUNT.replace('indi_device = "Telescope Simulator"', ""))
    with pytest.raises(ConfigError, match=r"server 'far' is not a key of \[indi_servers\]"):
        parse_config(INDI_MOUNT.replace('address = "127.0.0.1:7624"', 'server = "far"'))
    with pytest.raises(ConfigError, match="either server or address"):
        parse_config(INDI_MOUNT.replace('address = "127.0.0.1:7624"',
                                        'address = "127.0.0.1:7624"\nserver = "far"'))
    with pytest.raises(ConfigError, match=r"channels\[0\]\.filter_wheel 'nope' is not a key"):
        parse_config(EXAMPLE.replace('camera = "camera_vis"',
                                     'camera = "camera_vis"\nfilter_wheel = "nope"'))


ALPACA_MOUNT = EXAMPLE.replace(
    '[devices.mount]\nkind = "mount"\nbackend = "sim"\naddress = "127.0.0.1:5000"',
    '[devices.mount]\nkind = "mount"\nbackend = "alpaca"\naddress = "127.0.0.1:11111"')


def test_an_alpaca_device_is_built_from_its_address_and_number():
    from pyros.devices.alpaca.devices import AlpacaMount

    devices = build_devices(parse_config(ALPACA_MOUNT.replace(
        'address = "127.0.0.1:11111"', 'address = "127.0.0.1:11111"\nalpaca_device = 2')))
    assert isinstance(devices.mount, AlpacaMount)
    assert (devices.mount.link.device_type, devices.mount.link.number) == ("telescope", 2)
    assert devices.mount.link.server.address == "127.0.0.1:11111"
    assert isinstance(devices.cameras["VIS"], SimCamera)


def test_alpaca_configuration_mistakes_are_named():
    with pytest.raises(UnsupportedBackend, match="an alpaca device needs address"):
        build_devices(parse_config(ALPACA_MOUNT.replace('address = "127.0.0.1:11111"', "")))
    with pytest.raises(UnsupportedBackend, match="alpaca_type is for weather devices only"):
        build_devices(parse_config(ALPACA_MOUNT.replace(
            'address = "127.0.0.1:11111"',
            'address = "127.0.0.1:11111"\nalpaca_type = "safetymonitor"')))
    with pytest.raises(ConfigError, match="alpaca_device"):
        parse_config(ALPACA_MOUNT.replace('address = "127.0.0.1:11111"',
                                          'address = "127.0.0.1:11111"\nalpaca_device = -1'))
def test_an_enabled_pointing_model_wraps_the_mount_of_either_backend():
    from pyros.devices.corrected import CorrectedMount

    for text in (EXAMPLE, INDI_MOUNT):
        enabled = text.replace("limits = { min_altitude = 15.0, max_hour_angle = 6.0 }",
                               "limits = { min_altitude = 15.0, max_hour_angle = 6.0 }\n"
                               "pointing_model = { enabled = true }")
        mount = build_devices(parse_config(enabled)).mount
        assert isinstance(mount, CorrectedMount)
        assert isinstance(mount.mount, SimMount if text is EXAMPLE else IndiMount)
