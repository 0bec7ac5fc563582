"""Packets grouped into events, fed in the order the networks send them: one event per
trigger, the position moving only to a smaller error circle, duplicates ignored,
retractions cancelling, test packets never observable."""

from dataclasses import replace

import pytest

from pyros.alerts.events import (
    Decision,
    EventRecord,
    Outcome,
    decide,
    event_key,
    lookup,
)
from pyros.alerts.voevent import Alert, Reference
from tests.alerts import alert


class Store:
    """The smallest store a caller could have: events by key, as the database would."""

    def __init__(self) -> None:
        self.events: dict[str, EventRecord] = {}

    def receive(self, packet: Alert | str) -> Decision:
        if isinstance(packet, str):
            packet = alert(packet)
        key, ivorns = lookup(packet)
        candidates = [event for event in self.events.values()
                      if event.key == key or event.ivorns & ivorns]
        decision = decide(packet, candidates)
        self.events[decision.event.key] = decision.event
        return decision


def test_swift_bat_then_xrt_is_one_event_and_the_xrt_position_wins():
    store = Store()
    bat = store.receive("swift_bat_grb_pos_655721.xml")
    assert bat.outcome is Outcome.NEW_EVENT and bat.event.key == "Swift:655721"
    assert bat.position_updated and bat.observable
    assert (bat.event.ra, bat.event.dec, bat.event.error_radius) == (319.7309, -34.8537, 0.05)

    xrt = store.receive("swift_xrt_pos_655721.xml")
    assert xrt.outcome is Outcome.UPDATE and xrt.event.key == "Swift:655721"
    assert xrt.position_updated and not xrt.cancels and xrt.observable
    assert (xrt.event.ra, xrt.event.dec, xrt.event.error_radius) == (319.6588, -34.9131, 0.001)
    assert xrt.event.position_ivorn == "ivo://nasa.gsfc.gcn/SWIFT#XRT_Pos_655721-326"
    assert xrt.event.event_time == bat.event.event_time  # the trigger time stays
    assert "same Swift trigger 655721" in xrt.reason
    assert "error 3.6 arcsec is smaller than error 3.00 arcmin" in xrt.reason
    assert len(store.events) == 1 and len(xrt.event.packets) == 2


def test_a_larger_error_circle_does_not_move_the_position():
    store = Store()
    store.receive("swift_xrt_pos_655721.xml")
    bat = store.receive("swift_bat_grb_pos_655721.xml")
    assert bat.outcome is Outcome.UPDATE and not bat.position_updated
    assert bat.event.error_radius == 0.001
    assert "position kept: error 3.00 arcmin is not smaller than error 3.6 arcsec" in bat.reason


def test_fermi_gbm_alert_flight_ground_final():
    store = Store()
    gbm_alert = store.receive("fermi_gbm_alert_538809001.xml")
    assert gbm_alert.outcome is Outcome.NEW_EVENT and not gbm_alert.observable
    assert not gbm_alert.event.has_position and gbm_alert.reasons[-1] == "no position yet"
    assert "0, 0 placeholder" in gbm_alert.reason

    errors = []
    for name in ("fermi_gbm_flt_pos_538809001.xml", "fermi_gbm_gnd_pos_538809001.xml",
                 "fermi_gbm_fin_pos_538809001.xml"):
        decision = store.receive(name)
        assert decision.outcome is Outcome.UPDATE and decision.position_updated
        assert decision.observable
        errors.append(decision.event.error_radius)
    assert errors == [8.0167, 5.99, 5.72]
    assert list(store.events) == ["Fermi:538809001"]
    assert len(store.events["Fermi:538809001"].packets) == 4


def test_the_same_ivorn_twice_is_a_duplicate_and_changes_nothing():
    store = Store()
    first = store.receive("swift_bat_grb_pos_655721.xml")
    again = store.receive("swift_bat_grb_pos_655721.xml")
    assert again.outcome is Outcome.DUPLICATE
    assert again.event == first.event and not again.position_updated and not again.cancels
    assert again.reason == ("duplicate: ivo://nasa.gsfc.gcn/SWIFT#BAT_GRB_Pos_655721-214 "
                            "already received for Swift:655721")


def test_integral_wake_up_then_refined():
    store = Store()
    store.receive("integral_wakeup_10042.xml")
    refined = store.receive("integral_refined_10042.xml")
    assert refined.outcome is Outcome.UPDATE and refined.event.key == "INTEGRAL:10042"
    assert refined.position_updated and refined.event.error_radius == 0.0431


def test_svom_eclairs_then_mxt_by_burst_id():
    store = Store()
    store.receive("svom_eclairs_wakeup_sb26022802.xml")
    initial = store.receive("svom_mxt_initial_sb26022802.xml")
    update = store.receive("svom_mxt_update_sb26022802.xml")
    assert initial.event.key == update.event.key == "SVOM:sb26022802"
    assert initial.position_updated and update.position_updated
    assert update.event.error_radius == 0.034
    assert update.event.position_ivorn == "ivo://org.svom/fsc#sb26022802_mxt-update_qf2"


def test_icecube_revision_with_a_larger_error_keeps_the_first_position():
    store = Store()
    store.receive("icecube_gold_134191_17593623_rev0.xml")
    revision = store.receive("icecube_gold_134191_17593623_rev1.xml")
    assert revision.outcome is Outcome.UPDATE
    assert revision.event.key == "IceCube:134191_17593623"
    assert not revision.position_updated and revision.event.error_radius == 0.9201


def test_svom_retraction_cancels_the_event_for_good():
    store = Store()
    wakeup = store.receive("svom_eclairs_wakeup_sb26030408.xml")
    assert wakeup.observable
    retraction = store.receive("svom_retraction_sb26030408.xml")
    assert retraction.outcome is Outcome.UPDATE and retraction.cancels
    assert not retraction.observable and not retraction.position_updated
    assert retraction.event.cancelled_by == "ivo://org.svom/fsc#sb26030408_retraction"
    assert "retraction: SVOM_RETRACTION cancels SVOM:sb26030408" in retraction.reason

    late = replace(alert("svom_eclairs_wakeup_sb26030408.xml"),
                   ivorn="ivo://org.svom/fsc#sb26030408_mxt-initial_qf1", error_radius=0.01)
    after = store.receive(late)
    assert after.outcome is Outcome.UPDATE and after.event.cancelled
    assert not after.cancels and not after.observable and not after.position_updated
    assert "stays cancelled" in after.reason


def test_lvk_preliminary_initial_update_retraction():
    store = Store()
    decisions = [store.receive(f"lvk_ms181101ab_{kind}.xml")
                 for kind in ("preliminary", "initial", "update", "retraction")]
    assert [d.outcome for d in decisions] == [Outcome.NEW_EVENT] + [Outcome.UPDATE] * 3
    assert {d.event.key for d in decisions} == {"test:LVK:MS181101ab"}
    assert [d.cancels for d in decisions] == [False, False, False, True]
    assert not any(d.observable for d in decisions)  # the LVK's sample series is role test
    assert decisions[0].event.skymap_url.endswith("bayestar.fits.gz")
    assert decisions[-1].event.cancelled


def test_lvk_retraction_cancels_a_real_superevent():
    store = Store()
    preliminary = store.receive("lvk_s230528ay_preliminary.xml")
    assert preliminary.observable and not preliminary.event.has_position
    assert preliminary.reasons[-1] == "observable: sky map only, no single position"
    retraction = replace(
        alert("lvk_ms181101ab_retraction.xml"), ivorn="ivo://gwnet/LVC#S230528ay-3-Retraction",
        trigger_id="S230528ay", test_reason=None, role="observation",
        references=(Reference("ivo://gwnet/LVC#S230528ay-2-Preliminary", "retraction"),))
    cancelled = store.receive(retraction)
    assert cancelled.event.key == "LVK:S230528ay" and cancelled.cancels
    assert not cancelled.observable


def test_a_retraction_of_an_unknown_event_makes_a_cancelled_event():
    store = Store()
    retraction = store.receive("svom_retraction_sb26030408.xml")
    assert retraction.outcome is Outcome.NEW_EVENT and retraction.cancels
    wakeup = store.receive("svom_eclairs_wakeup_sb26030408.xml")  # arrived late
    assert wakeup.outcome is Outcome.UPDATE and not wakeup.observable


@pytest.mark.parametrize("name", [
    "swift_bat_grb_pos_test.xml", "broker_test_no_namespace.xml", "fourpisky_test_stream.xml",
    "gcn_kill_socket_v1.1.xml", "lvk_ms181101ab_preliminary.xml",
])
def test_test_packets_never_make_an_observable_event(name):
    decision = Store().receive(name)
    assert decision.event.is_test and not decision.observable
    assert decision.reasons[0].startswith("test packet (")
    assert decision.reasons[-1] == "test event: logged, never observed"


def test_a_test_packet_never_touches_the_real_event_of_its_trigger():
    store = Store()
    store.receive("swift_bat_grb_pos_655721.xml")
    fake = replace(alert("swift_xrt_pos_655721.xml"), role="test", test_reason="role is test",
                   ivorn="ivo://nasa.gsfc.gcn/SWIFT#XRT_Pos_655721-999")
    decision = store.receive(fake)
    assert decision.outcome is Outcome.NEW_EVENT and decision.event.key == "test:Swift:655721"
    assert store.events["Swift:655721"].error_radius == 0.05


def test_a_placeholder_position_is_never_an_event_position():
    store = Store()
    placeholder = store.receive("fermi_gbm_alert_538809001.xml")
    assert placeholder.event.ra is None and not placeholder.position_updated


def test_a_citation_alone_attaches_a_packet_to_its_event():
    store = Store()
    store.receive("swift_bat_grb_pos_655721.xml")
    no_trigger = replace(alert("swift_xrt_pos_655721.xml"), trigger_id=None)
    assert event_key(no_trigger) == "ivorn:ivo://nasa.gsfc.gcn/SWIFT#XRT_Pos_655721-326"
    decision = store.receive(no_trigger)
    assert decision.outcome is Outcome.UPDATE and decision.event.key == "Swift:655721"
    assert "cites ivo://nasa.gsfc.gcn/SWIFT#BAT_GRB_Pos_655721-214 (followup)" in decision.reason


def test_lookup_names_the_key_and_the_ivorns_to_fetch():
    xrt = alert("swift_xrt_pos_655721.xml")
    assert lookup(xrt) == ("Swift:655721", frozenset({
        "ivo://nasa.gsfc.gcn/SWIFT#XRT_Pos_655721-326",
        "ivo://nasa.gsfc.gcn/SWIFT#BAT_GRB_Pos_655721-214"}))
