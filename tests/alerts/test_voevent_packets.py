"""Real packets from each mission read into the normalised record: the fields that the
event grouping and the strategies rely on, checked against the packets' own text."""

import json
import re
from datetime import UTC, datetime

import pytest

from pyros.alerts.voevent import Reference
from tests.alerts import DATA, alert, packet

GBM_ALERT = "ivo://nasa.gsfc.gcn/Fermi#GBM_Alert_2018-01-28T05:09:56.60_538809001_1-681"
SVOM = "ivo://org.svom/fsc#sb26022802_"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# file: mission, instrument, notice type, trigger id, event time, (ra, dec, error) or None
EXPECTED = {
    "swift_bat_grb_pos_655721.xml": (
        "Swift", "BAT", "SWIFT_BAT_GRB_POS_ACK", "655721", utc(2015, 9, 15, 21, 18, 24, 860000),
        (319.7309, -34.8537, 0.05)),
    "swift_xrt_pos_655721.xml": (
        "Swift", "XRT", "SWIFT_XRT_POSITION", "655721", utc(2015, 9, 15, 21, 24, 37),
        (319.6588, -34.9131, 0.001)),
    "swift_xrt_pos_644259_v1.1.xml": (
        "Swift", "XRT", "SWIFT_XRT_POSITION", "644259", utc(2015, 6, 16, 23, 5, 40),
        (314.7162, -53.3930, 0.0009)),
    "swift_uvot_pos_1121751.xml": (
        "Swift", "UVOT", "SWIFT_UVOT_POS", "1121751", utc(2022, 8, 26, 11, 56, 49),
        (206.4104, -44.0386, 0.0001)),
    "swift_bat_grb_pos_test.xml": (
        "Swift", "BAT", "SWIFT_BAT_GRB_POS_TEST", "99999", utc(2026, 2, 7, 9, 52, 30),
        (36.0, -35.0, 0.05)),
    "fermi_gbm_alert_538809001.xml": (
        "Fermi", "GBM", "FERMI_GBM_ALERT", "538809001", utc(2018, 1, 28, 5, 9, 56, 600000),
        None),
    "fermi_gbm_flt_pos_538809001.xml": (
        "Fermi", "GBM", "FERMI_GBM_FLT_POS", "538809001", utc(2018, 1, 28, 5, 9, 56, 600000),
        (86.45, -29.1833, 8.0167)),
    "fermi_gbm_gnd_pos_538809001.xml": (
        "Fermi", "GBM", "FERMI_GBM_GND_POS", "538809001", utc(2018, 1, 28, 5, 9, 56, 600000),
        (86.11, -24.83, 5.99)),
    "fermi_gbm_fin_pos_538809001.xml": (
        "Fermi", "GBM", "FERMI_GBM_FIN_POS", "538809001", utc(2018, 1, 28, 5, 9, 56, 600000),
        (92.26, -26.1, 5.72)),
    "fermi_lat_offline_pos_793795080.xml": (
        "Fermi", "LAT", "FERMI_LAT_OFFLINE", "793795080", utc(2026, 2, 26, 10, 38, 18, 840000),
        (41.9209, 7.7199, 0.1059)),
    "integral_wakeup_10042.xml": (
        "INTEGRAL", None, "INTEGRAL_WAKEUP", "10042", utc(2022, 9, 26, 10, 38, 19, 750000),
        (273.9650, -37.2473, 0.0489)),
    "integral_refined_10042.xml": (
        "INTEGRAL", None, "INTEGRAL_REFINED", "10042", utc(2022, 9, 26, 10, 38, 25, 750000),
        (273.9546, -37.2428, 0.0431)),
    "svom_eclairs_wakeup_sb26022802.xml": (
        "SVOM", "ECLAIRs", "SVOM_ECLAIRS_WAKEUP", "sb26022802",
        utc(2026, 2, 28, 20, 55, 34, 629000), (237.8312, 26.3060, 0.1251)),
    "svom_mxt_initial_sb26022802.xml": (
        "SVOM", "MXT", "SVOM_MXT_INITIAL", "sb26022802", utc(2026, 2, 28, 21, 48, 46, 626000),
        (237.4411, 26.0376, 0.0673)),
    "svom_mxt_update_sb26022802.xml": (
        "SVOM", "MXT", "SVOM_MXT_UPDATE", "sb26022802", utc(2026, 2, 28, 21, 48, 46, 626000),
        (237.4077, 26.0255, 0.034)),
    "svom_eclairs_wakeup_sb26030408.xml": (
        "SVOM", "ECLAIRs", "SVOM_ECLAIRS_WAKEUP", "sb26030408",
        utc(2026, 3, 4, 9, 39, 26, 573000), (47.0752, 40.9505, 0.1515)),
    "svom_retraction_sb26030408.xml": (
        "SVOM", "ECLAIRs", "SVOM_RETRACTION", "sb26030408", utc(2026, 3, 4, 9, 39, 26, 573000),
        (47.0752, 40.9505, 0.1515)),
    "icecube_gold_134191_17593623_rev0.xml": (
        "IceCube", None, "ICECUBE_ASTROTRACK_GOLD", "134191_17593623",
        utc(2020, 6, 15, 14, 49, 17, 370000), (143.4519, 3.7891, 0.9201)),
    "icecube_gold_134191_17593623_rev1.xml": (
        "IceCube", None, "ICECUBE_ASTROTRACK_GOLD", "134191_17593623",
        utc(2020, 6, 15, 14, 49, 17, 370000), (142.9499, 3.6600, 1.2199)),
    "lvk_s230528ay_preliminary.xml": (
        "LVK", None, "LVC_PRELIMINARY", "S230528ay", utc(2023, 5, 28, 11, 10, 53), None),
    "lvk_ms181101ab_preliminary.xml": (
        "LVK", None, "LVC_PRELIMINARY", "MS181101ab", utc(2018, 11, 1, 22, 22, 46, 654437),
        None),
    "lvk_ms181101ab_initial.xml": (
        "LVK", None, "LVC_INITIAL", "MS181101ab", utc(2018, 11, 1, 22, 22, 46, 654437), None),
    "lvk_ms181101ab_update.xml": (
        "LVK", None, "LVC_UPDATE", "MS181101ab", utc(2018, 11, 1, 22, 22, 46, 654437), None),
    "lvk_ms181101ab_retraction.xml": (
        "LVK", None, "LVC_RETRACTION", "MS181101ab", utc(2018, 11, 1, 22, 22, 46, 654437),
        None),
    "broker_test_no_namespace.xml": (
        "dc3.broker", None, "DC3_BROKER_BROKERTEST", None, utc(2014, 2, 24, 15, 55, 27, 720000),
        None),
    "fourpisky_test_stream.xml": ("TEST", None, "TEST", None, None, None),
    # Packets that were refused before issue 17; test_real_quirks.py says what is flagged.
    "fermi_gbm_flt_pos_336801278_v1.1.xml": (
        "Fermi", "GBM", "FERMI_GBM_FLT_POS", "336801278", utc(2011, 9, 4, 3, 54, 36, 20000),
        (193.0, -31.75, 17.4333)),
    "svom_grm_trigger_sb26050402.xml": (
        "SVOM", "GRM", "SVOM_GRM_TRIGGER", "sb26050402", utc(2026, 5, 4, 9, 31, 19, 400000),
        None),
    "svom_eclairs_wakeup_sb26050402.xml": (
        "SVOM", "ECLAIRs", "SVOM_ECLAIRS_WAKEUP", "sb26050402",
        utc(2026, 5, 4, 9, 31, 19, 287000), (351.2451, -80.3291, 0.0819)),
    "svom_mxt_initial_sb26050402.xml": (
        "SVOM", "MXT", "SVOM_MXT_INITIAL", "sb26050402", utc(2026, 5, 4, 9, 33, 16, 802000),
        (351.2291, -80.3527, 0.0491)),
    "antares_1438351269.xml": (
        "ANTARES", None, "ANTARES_ALERT", "1438351269", utc(2019, 11, 26, 21, 55, 34),
        (156.957, -21.274, 0.325)),
    "gcn_kill_socket_v1.1.xml": ("GCN", None, "KILL_SOCKET", None, None, None),
}

REFERENCES = {
    "swift_xrt_pos_655721.xml": [("ivo://nasa.gsfc.gcn/SWIFT#BAT_GRB_Pos_655721-214", "followup")],
    "swift_xrt_pos_644259_v1.1.xml": [
        ("ivo://nasa.gsfc.gcn/SWIFT#BAT_GRB_Pos_644259-771", "followup")],
    "fermi_gbm_flt_pos_538809001.xml": [(GBM_ALERT, "followup")],
    "fermi_gbm_gnd_pos_538809001.xml": [(GBM_ALERT, "followup")],
    "fermi_gbm_fin_pos_538809001.xml": [(GBM_ALERT, "followup")],
    "integral_refined_10042.xml": [
        ("ivo://nasa.gsfc.gcn/INTEGRAL#Wakeup_Pos_010042-0-941", "followup")],
    "svom_mxt_initial_sb26022802.xml": [
        (SVOM + "eclairs-preliminary", "followup"), (SVOM + "eclairs-wakeup", "followup"),
        (SVOM + "slewing", "followup")],
    "svom_mxt_update_sb26022802.xml": [
        (SVOM + "eclairs-preliminary", "followup"), (SVOM + "eclairs-wakeup", "followup"),
        (SVOM + "slewing", "followup"), (SVOM + "mxt-initial_qf1", "followup")],
    "svom_eclairs_wakeup_sb26030408.xml": [
        ("ivo://org.svom/fsc#sb26030408_not-slewing", "followup")],
    "svom_retraction_sb26030408.xml": [
        ("ivo://org.svom/fsc#sb26030408_eclairs-wakeup", "retraction")],
    "lvk_s230528ay_preliminary.xml": [("ivo://gwnet/LVC#S230528ay-1-Preliminary", "supersedes")],
    "fermi_gbm_flt_pos_336801278_v1.1.xml": [
        ("ivo://nasa.gsfc.gcn/Fermi#GBM_Alert_2011-09-04T03:54:36.02_336801278_1-954",
         "followup")],
    "svom_eclairs_wakeup_sb26050402.xml": [
        ("ivo://org.svom/fsc#sb26050402_grm-trigger", "followup"),
        ("ivo://org.svom/fsc#sb26050402_eclairs-preliminary", "followup")],
    "svom_mxt_initial_sb26050402.xml": [
        ("ivo://org.svom/fsc#sb26050402_grm-trigger", "followup"),
        ("ivo://org.svom/fsc#sb26050402_eclairs-preliminary", "followup"),
        ("ivo://org.svom/fsc#sb26050402_eclairs-wakeup", "followup"),
        ("ivo://org.svom/fsc#sb26050402_slewing", "followup")],
    "lvk_ms181101ab_retraction.xml": [
        ("ivo://gwnet/LVC#MS181101ab-1-Preliminary", "retraction"),
        ("ivo://gwnet/LVC#MS181101ab-2-Initial", "retraction"),
        ("ivo://gwnet/LVC#MS181101ab-3-Update", "retraction")],
}

RETRACTIONS = {"svom_retraction_sb26030408.xml", "lvk_ms181101ab_retraction.xml"}
#: Real packets with a part that cannot be used (flagged, not refused).
FLAGGED = {"svom_grm_trigger_sb26050402.xml", "antares_1438351269.xml"}
TESTS = {
    "swift_bat_grb_pos_test.xml": "role is test",
    "lvk_ms181101ab_preliminary.xml": "role is test",
    "lvk_ms181101ab_initial.xml": "role is test",
    "lvk_ms181101ab_update.xml": "role is test",
    "lvk_ms181101ab_retraction.xml": "role is test",
    "broker_test_no_namespace.xml": "role is test",
    "fourpisky_test_stream.xml": "role is test",
    "gcn_kill_socket_v1.1.xml": "KILL_SOCKET is a network test or housekeeping packet",
}


def test_every_packet_in_the_data_folder_is_checked_here_and_has_its_source():
    files = {path.name for path in DATA.glob("*.xml")}
    assert files == set(EXPECTED)
    sources = (DATA / "SOURCES.md").read_text()
    for name in files:
        row = next(line for line in sources.splitlines() if line.startswith(f"| `{name}`"))
        ivorn = re.search(r"\| `(ivo://[^`]+)`", row).group(1)
        assert ivorn == alert(name).ivorn, name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_packet_fields(name):
    mission, instrument, notice_type, trigger_id, event_time, position = EXPECTED[name]
    record = alert(name)
    assert record.ivorn in packet(name).decode()
    assert (record.mission, record.instrument, record.notice_type, record.trigger_id) == (
        mission, instrument, notice_type, trigger_id)
    assert record.event_time == event_time
    if event_time is not None:
        assert record.event_time.tzinfo is UTC
    if position is None:
        assert not record.has_position
        assert (record.ra, record.dec, record.error_radius) == (None, None, None)
    else:
        assert record.has_position
        assert (record.ra, record.dec, record.error_radius) == pytest.approx(position)
    expected_references = [Reference(*pair) for pair in REFERENCES.get(name, [])]
    assert list(record.references) == expected_references
    assert record.is_retraction == (name in RETRACTIONS)
    assert record.test_reason == TESTS.get(name)
    assert record.is_test == (name in TESTS)
    assert bool(record.flags) == (name in FLAGGED)
    assert record.raw == packet(name)
    json.dumps(record.summary())  # the --json output needs nothing more


def test_observation_packets_have_role_and_gcn_author():
    bat = alert("swift_bat_grb_pos_655721.xml")
    assert (bat.role, bat.version, bat.author_ivorn) == (
        "observation", "2.0", "ivo://nasa.gsfc.tan/gcn")
    assert bat.issued == utc(2015, 9, 15, 21, 19, 42)
    assert bat.packet_type == 61 and bat.frame == "FK5"
    assert alert("svom_mxt_initial_sb26022802.xml").frame == "ICRS"


def test_voevent_1_1_differs_only_by_namespace():
    """The 1.1 XRT packet (WhereWhen in the STC namespace) reads like a 2.0 one."""
    v11 = alert("swift_xrt_pos_644259_v1.1.xml")
    v20 = alert("swift_xrt_pos_655721.xml")
    assert (v11.version, v20.version) == ("1.1", "2.0")
    assert v11.params.keys() == v20.params.keys()
    assert v11.params["Solution_Status.Test_Submission"] == "false"
    assert alert("gcn_kill_socket_v1.1.xml").version == "1.1"


def test_a_packet_without_namespace_is_read():
    broker = alert("broker_test_no_namespace.xml")
    assert broker.version == "2.0" and broker.params["BrokerDomain"] == "voevent.dc3.com"
    assert broker.params["Subscribe.Port"] == "8099"


def test_params_are_flattened_with_their_group_names():
    bat = alert("swift_bat_grb_pos_655721.xml")
    assert bat.params["TrigID"] == "655721"
    assert bat.params["Solution_Status.GRB_Identified"] == "true"
    assert bat.params["Obs_Support_Info.Moon_Illum"] == "6.05"
    mxt = alert("svom_mxt_initial_sb26022802.xml")
    assert mxt.params["Svom_Identifiers.Burst_Id"] == "sb26022802"


def test_gravitational_wave_packets_keep_their_sky_map():
    s230528ay = alert("lvk_s230528ay_preliminary.xml")
    assert s230528ay.role == "observation" and not s230528ay.is_test
    assert s230528ay.skymap_url == (
        "https://gracedb.ligo.org/api/superevents/S230528ay/files/olib.multiorder.fits,1")
    assert alert("lvk_ms181101ab_retraction.xml").skymap_url is None


def test_the_lvk_retraction_is_recognised_even_with_a_wrong_alert_type():
    """The LVK's sample retraction says AlertType Preliminary; its packet type, IVORN
    and citations say retraction."""
    retraction = alert("lvk_ms181101ab_retraction.xml")
    assert retraction.params["AlertType"] == "Preliminary"
    assert retraction.packet_type == 164 and retraction.is_retraction


def test_integral_refined_packet_keeps_the_wake_up_trigger():
    refined = alert("integral_refined_10042.xml")
    assert refined.params["TrigID"] == "75578"
    assert refined.trigger_id == alert("integral_wakeup_10042.xml").trigger_id == "10042"
