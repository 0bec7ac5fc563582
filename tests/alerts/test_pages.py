"""The Alerts pages: the list with its sky map (error circles projected on the sphere,
across the map's edge and around the poles; tonight's reachable sky), an event's page
with its positions, decisions and latency breakdown, the packets as received (escaped),
the refused packets, and the Strategy page, which the rights matrix opens to the
profiles it gives "alerts.strategy" to and where those allowed to act check, then save,
a new version."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from html import escape

import numpy as np
import pytest
from django.test import Client

from pyros.accounts import rights
from pyros.accounts.profiles import ProfileLevel
from pyros.alerts import skymap
from pyros.alerts.forms import digest
from pyros.alerts.models import (
    AlertEvent,
    AlertPacket,
    Decision,
    RefusedPacket,
    Step,
    Strategy,
)
from pyros.alerts.store import active_strategy, ingest, log
from pyros.config.loader import active_config
from pyros.scheduling.problem import SequenceToPlan
from pyros.scheduling.sky import night_sky
from pyros.scheduling.unit import site_of
from pyros.scheduling.visibility import VisibilityCalculator
from tests.alerts.test_intake import BAT, XRT, at, packet  # noqa: F401
from tests.conftest import OBSERVER_PASSWORD, make_user

GBM = "fermi_gbm_gnd_pos_538809001.xml"
TEST = "swift_bat_grb_pos_test.xml"
LVK = "lvk_s230528ay_preliminary.xml"
WAKEUP, RETRACTION = "svom_eclairs_wakeup_sb26030408.xml", "svom_retraction_sb26030408.xml"
#: The middle of the night of 2026-11-21 at San Pedro Mártir (dark 01:36–13:19 UTC).
MIDNIGHT = datetime(2026, 11, 22, 7, 0, tzinfo=UTC)


def page(url: str, client: Client | None = None, status: int = 200) -> str:
    response = (client or Client()).get(url)
    assert response.status_code == status, response.content[:500]
    return response.content.decode()


def logged_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=OBSERVER_PASSWORD)
    return client


def receive(at, name: str, delay: float = 120, data: bytes | None = None):  # noqa: F811
    at(name, delay)
    return ingest(data or packet(name), source="test", unit=active_config())


# --- The map's geometry (no database) ------------------------------------------------------


def area(pieces: list[skymap.Piece]) -> float:
    """The projected area of polygons (shoelace), in SVG units²."""
    total = 0.0
    for piece in pieces:
        x, y = skymap.project([p[0] for p in piece], [p[1] for p in piece])
        total += 0.5 * abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))
    return total


def test_the_projection_puts_ra_leftwards_with_12h_in_the_middle():
    assert skymap.project_radec(180.0, 0.0) == (skymap.CX, skymap.CY)
    left, right = skymap.project_radec(359.999, 0.0), skymap.project_radec(0.001, 0.0)
    assert left[0] == pytest.approx(skymap.CX - skymap.RX, abs=0.2)
    assert right[0] == pytest.approx(skymap.CX + skymap.RX, abs=0.2)
    assert skymap.project_radec(90.0, 0.0)[0] > skymap.CX > skymap.project_radec(270.0, 0.0)[0]
    assert skymap.project_radec(0.0, 90.0) == (skymap.CX, skymap.CY - skymap.RX / 2)
    assert skymap.project_radec(123.0, -90.0) == (skymap.CX, skymap.CY + skymap.RX / 2)


def test_an_error_circle_is_a_circle_on_the_sphere():
    ra, dec = skymap.circle_ring(120.0, 40.0, 5.0)
    assert len(ra) == skymap.CIRCLE_POINTS
    a, d, r0, d0 = (np.radians(v) for v in (ra, dec, 120.0, 40.0))
    distance = np.degrees(np.arccos(np.sin(d) * np.sin(d0)
                                    + np.cos(d) * np.cos(d0) * np.cos(a - r0)))
    assert distance == pytest.approx(np.full(len(ra), 5.0), abs=1e-9)


def test_circles_crossing_the_edge_or_around_a_pole_keep_their_area():
    """The projection is equal-area: a cap of radius r has the same area on the map
    wherever it is, cut in two by the edge or closed through a pole."""
    reference = area(skymap.circle_pieces(150.0, 0.0, 8.0))
    cap = 2 * math.pi * (1 - math.cos(math.radians(8.0)))  # steradians
    assert reference == pytest.approx(cap * skymap.SCALE**2, rel=0.01)
    across = skymap.circle_pieces(2.0, -20.0, 8.0)
    assert len(across) == 2
    sides = sorted(sum(p[0] for p in piece) / len(piece) for piece in across)
    assert sides[0] < -170.0 and sides[1] > 170.0  # one on each side of the map
    assert area(across) == pytest.approx(reference, rel=0.01)
    for dec in (85.0, -86.0):  # contains the pole
        pole = skymap.circle_pieces(40.0, dec, 8.0)
        assert area(pole) == pytest.approx(reference, rel=0.01)
    both = skymap.circle_pieces(3.0, 87.0, 8.0)  # pole and edge at once
    assert area(both) == pytest.approx(reference, rel=0.01)


def test_a_tiny_error_is_a_point_and_a_large_one_a_polygon():
    def mark(radius):
        return skymap.mark_of(skymap.Circle("k", 10.0, 20.0, radius, "observed", "t"))

    assert mark(0.05).is_point and mark(None).is_point and mark(120.0).is_point
    large = mark(6.0)
    assert not large.is_point and large.path.count("M") == 1 and large.path.endswith("Z")
    assert mark(6.0).path == large.path
    assert skymap.mark_of(skymap.Circle("k", 359.0, 0.0, 6.0, "x", "t")).path.count("M") == 2


def test_tonights_region_is_the_sky_above_airmass_2_in_the_dark_time(initial_data):
    unit = active_config()
    site = site_of(unit)
    sky = night_sky(site, MIDNIGHT.date() - timedelta(days=1))
    region = skymap.night_region(unit, MIDNIGHT - timedelta(hours=8))  # the afternoon
    assert region.night == sky.night
    assert region.start == sky.at(sky.dark_seconds[0])
    assert region.end == sky.at(sky.dark_seconds[1])
    assert region.path.startswith("M") and region.moon is not None
    # At 31° N the celestial south pole is never up.
    assert not any(region.covers(ra, -85.0) for ra in range(0, 360, 10))
    # The planner's own visibility at the cells' centres: a cell never observable is
    # not shaded; one observable for 20 minutes (longer than the region's time step)
    # is.
    centres = [((lon + 0.5) * skymap.GRID + skymap.CENTRE_RA) % 360
               for lon in range(0, 120, 5)]
    cells = [(ra, (row + 0.5) * skymap.GRID - 90.0) for ra in centres
             for row in range(1, 60, 2)]
    window = (sky.at(sky.dark_seconds[0]), sky.at(sky.dark_seconds[1]))

    def planner(duration: float) -> list[bool]:
        sequences = [SequenceToPlan(str(i), ra, dec, duration, window=window, max_airmass=2.0)
                     for i, (ra, dec) in enumerate(cells)]
        return [bool(v.intervals) for v in VisibilityCalculator(sky).compute(sequences)]

    shaded = [region.covers(ra, dec) for ra, dec in cells]
    assert 0.2 < sum(shaded) / len(shaded) < 0.9
    for (ra, dec), ever, long, covered in zip(cells, planner(1.0), planner(1200.0), shaded,
                                              strict=True):
        assert covered or not long, (ra, dec)
        assert ever or not covered, (ra, dec)
    # Later in the night, only what is still to come.
    later = skymap.night_region(unit, MIDNIGHT)
    assert later.start is not None and later.start >= MIDNIGHT
    assert later.start - MIDNIGHT < timedelta(minutes=5)
    # After dawn, the next night.
    morning = skymap.night_region(unit, sky.at(sky.dark_seconds[1]) + timedelta(minutes=10))
    assert morning.night == sky.night + timedelta(days=1)


# --- The list --------------------------------------------------------------------------------


@pytest.fixture
def alerts(at):  # noqa: F811
    """A burst observed (Swift BAT then XRT), a Fermi GBM burst whose 6° circle is too
    large, a test packet, an LVK sky-map-only event, a SVOM burst retracted, and a
    refused packet."""
    receive(at, GBM)
    receive(at, TEST)
    receive(at, LVK)
    receive(at, WAKEUP)
    receive(at, RETRACTION, 60)
    receive(at, BAT)
    receive(at, XRT, 600)
    ingest(b"<html><script>alert('x')</script></html>", source="test", unit=active_config())
    return {e.key: e for e in AlertEvent.objects.all()}


def test_the_list_shows_each_event_with_its_decision_and_the_sky_map(alerts):
    html = page("/alerts/")
    assert "<h1>Alerts</h1>" in html
    keys = re.findall(r'<tr data-event="\d+" class="event-\w+">\s*<td class="key">'
                      r'<span[^>]*></span><a href="/alerts/\d+/">([^<]+)</a>', html)
    # Newest first (the packets are years apart; each arrived when its clock was set).
    assert keys == ["SVOM:sb26030408", "test:Swift:99999", "LVK:S230528ay", "Fermi:538809001",
                    "Swift:655721"]
    swift = alerts["Swift:655721"]
    row = html[html.index(f'<tr data-event="{swift.pk}"'):]
    row = row[:row.index("</tr>")]
    assert 'class="event-observed"' in row
    assert "319.6588° -34.9131°" in row and "± 3.6″" in row
    assert '<td class="count">2</td>' in row
    assert '<span class="verdict verdict-ACCEPTED">ACCEPTED</span>' in row
    assert "accepted by rule &#x27;Swift XRT and UVOT&#x27;" in row
    # Visitors do not read requests: the number, no link.
    assert "SUBMITTED" in row and "CANCELLED" in row and "/requests/" not in row
    assert 'class="status status-RETRACTED"' in html and 'class="status status-TEST"' in html
    assert "no position (sky map only)" in html
    # The sky map: GBM's circle drawn, the small ones as points, the LVK event not.
    assert '<svg viewBox="0 0 780.0 400.0" class="sky-svg"' in html
    assert len(re.findall(r'<path class="error-circle ev-rejected" data-event="'
                          rf'{alerts["Fermi:538809001"].pk}"', html)) == 1
    assert html.count('class="error-circle') == 1
    points = dict(re.findall(r'<circle class="error-point ev-(\w+)" data-event="(\d+)"',
                             html))
    assert {int(v): k for k, v in points.items()} == {
        swift.pk: "observed", alerts["test:Swift:99999"].pk: "test",
        alerts["SVOM:sb26030408"].pk: "retracted"}
    assert f'<a href="/alerts/{swift.pk}/"><circle' in html
    assert '<path class="night-region" d="M' in html
    assert "1 event of this page has no position" in html
    assert '<a href="/alerts/refused/">1 packet refused</a>' in html
    assert 'data-refresh-url="/alerts/part/" data-period="15"' in html
    assert "/static/alerts/alerts.js" in html and "/static/alerts/alerts.css" in html


def test_every_profile_reads_the_alerts_and_the_top_bar_links_them(alerts, observer):
    visitor = logged_in(make_user("victor", ProfileLevel.VISITOR))
    swift = alerts["Swift:655721"]
    packet_row = swift.packets.first()
    for client in (Client(), visitor, logged_in(observer)):
        for url in ("/alerts/", "/alerts/part/", f"/alerts/{swift.pk}/",
                    f"/alerts/{swift.pk}/part/", f"/alerts/packets/{packet_row.pk}/",
                    "/alerts/refused/"):
            html = page(url, client)
            if "part/" not in url:
                assert '<a href="/alerts/">Alerts</a>' in html
    assert re.search(r'<a href="/requests/\d+/">#\d+</a>', page("/alerts/", logged_in(observer)))
    assert '<a class="tile" href="/alerts/"><h2>Alerts</h2>' in page("/")
    # Only who may read the strategy gets links to it.
    assert 'href="/alerts/strategy/"' not in page("/alerts/", logged_in(observer))
    page(f"/alerts/{swift.pk + 100}/", status=404)
    page(f"/alerts/packets/{packet_row.pk + 100}/", status=404)


def test_the_part_is_the_map_and_the_list_alone_and_follows_the_page(alerts, simulated_clock):
    part = page("/alerts/part/")
    assert "<html" not in part and "<h1>" not in part
    assert 'class="sky-svg"' in part and 'id="events"' in part
    assert 'data-refresh-url="/alerts/part/?page=2"' in page("/alerts/?page=2")


def test_an_empty_list_says_where_alerts_come_from(initial_data, simulated_clock):
    simulated_clock.set(MIDNIGHT)
    html = page("/alerts/")
    assert "No alert received yet" in html and "pyros alert ingest" in html
    assert '<path class="night-region"' in html and "error-circle" not in html
    assert "No packet refused" in html


# --- One event ---------------------------------------------------------------------------


def test_an_event_shows_its_positions_requests_decisions_and_logs(alerts):
    swift = alerts["Swift:655721"]
    bat, xrt = swift.packets.order_by("received_at")
    html = page(f"/alerts/{swift.pk}/")
    assert "<h1>Swift:655721</h1>" in html
    history = html[html.index('id="positions"'):html.index("</table>",
                                                            html.index('id="positions"'))]
    assert re.findall(r'<tr data-packet="(\d+)"( class="used")?>', history) == [
        (str(bat.pk), ""), (str(xrt.pk), ' class="used"')]
    assert "319.7309° -34.8537° ± 3′" in history and "319.6588° -34.9131° ± 3.6″" in history
    assert f"Position from <code>{xrt.ivorn}</code>" in html
    requests = html[html.index('id="event-requests"'):]
    assert requests.index("SUBMITTED") < requests.index("CANCELLED")
    assert "position refined by" in requests
    for p in (bat, xrt):
        section = html[html.index(f'<section class="card packet" id="packet-{p.pk}"'):]
        section = section[:section.index("</section>")]
        assert f'<a class="button" href="/alerts/packets/{p.pk}/">Raw packet</a>' in section
        assert '<span class="verdict verdict-ACCEPTED">ACCEPTED</span>' in section
        assert 'Decided by the strategy\n    version 1' in section
        steps = re.findall(r'<tr class="step-(\w+)">', section)
        assert steps[:3] == ["RECEIVED", "PARSED", "GROUPED"] and "REQUEST" in steps
    assert "rule “Swift BAT”" in html and "rule “Swift XRT and UVOT”" in html
    # The detail map: both positions, the one used highlighted.
    assert html.count('class="error-point ev-used highlight"') == 1
    assert html.count('class="error-point ev-earlier"') == 1


def test_the_latency_breakdown_comes_from_the_log_timestamps(initial_data):
    t0 = datetime(2026, 11, 22, 7, 0, 0, 100_000, tzinfo=UTC)
    event = AlertEvent.objects.create(key="Swift:1", mission="Swift", trigger_id="1",
                                      ra=10.0, dec=20.0, error_radius=0.05,
                                      created_at=t0, updated_at=t0)
    row = AlertPacket.objects.create(
        event=event, ivorn="ivo://test#1", role="observation", mission="Swift",
        notice_type="SWIFT_BAT_GRB_POS_ACK", record={}, raw="<x/>", source="broker",
        received_at=t0, decision=Decision.ACCEPTED, reason="accepted")
    ms = timedelta(milliseconds=1)
    for step, after, data in ((Step.RECEIVED, 0, {}), (Step.PARSED, 3.2, {}),
                              (Step.GROUPED, 4.0, {}), (Step.ACCEPTED, 12.5, {"rule": "r"}),
                              (Step.REQUEST, 40.0, {"request": 1}),
                              (Step.PLAN, 655.5, {"schedule": 7}), (Step.SLEW, 901.0, {})):
        log(step, f"{step} step", packet=row, at=t0 + after * ms, **data)
    html = page(f"/alerts/{event.pk}/")
    table = html[html.index(f'id="latency-{row.pk}"'):]
    table = table[:table.index("</table>")]
    stages = re.findall(r'<tr data-stage="(\w+)"><td>\w+</td><td>(\w+)</td>\s*'
                        r'<td class="num since-received">([\d.,]+) ms</td>'
                        r'<td class="num since-previous">([\d.,]+) ms</td>', table)
    assert stages == [("parsed", "PARSED", "3.2", "3.2"), ("decided", "ACCEPTED", "12.5", "9.3"),
                      ("request", "REQUEST", "40.0", "27.5"), ("plan", "PLAN", "655.5", "615.5"),
                      ("slew", "SLEW", "901.0", "245.5")]
    # The log: each step with its time and its milliseconds since the reception.
    assert '<td class="when">07:00:00.755500</td>' in html
    assert re.search(r'<td class="num">655.5</td>\s*<td>PLAN</td>', html)
    assert '<a href="/schedule/7/">plan #7</a>' in html


def test_a_retraction_is_said_and_its_decision_is_the_cancellation(alerts):
    svom = alerts["SVOM:sb26030408"]
    html = page(f"/alerts/{svom.pk}/")
    assert 'id="event-status">RETRACTED</span>' in html
    assert "Retracted by <code>ivo://org.svom/fsc#sb26030408_retraction</code>" in html
    retraction = svom.packets.get(decision=Decision.RETRACTION)
    table = html[html.index(f'id="latency-{retraction.pk}"'):]
    assert '<tr data-stage="decided"><td>decided</td><td>CANCELLED</td>' in table


def test_packets_from_the_network_are_only_ever_shown_escaped(alerts, at):  # noqa: F811
    hostile = packet(BAT).replace(
        b"<Description>Type=61: The Swift-BAT instrument position notice.</Description>",
        b"<Description>&lt;script&gt;alert(1)&lt;/script&gt;</Description>").replace(
        b"BAT_GRB_Pos_655721-214", b"BAT_GRB_Pos_655721-999")
    result = receive(at, BAT, 700, data=hostile)
    html = page(f"/alerts/packets/{result.packet.pk}/")
    assert '<pre class="raw-packet" id="raw-packet">&lt;?xml version=' in html
    assert "&amp;lt;script&amp;gt;alert(1)" in html and "<script>alert" not in html
    refused = page("/alerts/refused/")
    assert "&lt;html&gt;&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in refused
    assert escape(RefusedPacket.objects.get().reason) in refused
    # A sky map's address is linked only when it is http(s).
    lvk = alerts["LVK:S230528ay"]
    assert f'<a href="{lvk.skymap_url}" rel="noopener noreferrer nofollow">' in page(
        f"/alerts/{lvk.pk}/")
    AlertEvent.objects.filter(pk=lvk.pk).update(skymap_url="javascript:alert(1)")
    html = page(f"/alerts/{lvk.pk}/")
    assert 'href="javascript:' not in html and "<code>javascript:alert(1)</code>" in html


# --- The strategy ------------------------------------------------------------------------


@pytest.fixture
def pi(initial_data):
    return make_user("paula", ProfileLevel.PI)


def test_the_strategy_is_for_the_profiles_the_matrix_gives_it_to(pi, observer):
    response = Client().get("/alerts/strategy/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    for level in (ProfileLevel.VISITOR, ProfileLevel.OBSERVER, ProfileLevel.OPERATOR,
                  ProfileLevel.SUPEROPERATOR):
        client = logged_in(make_user(f"user{int(level)}", level))
        page("/alerts/strategy/", client, status=403)
        page("/alerts/strategy/1/", client, status=403)
        assert client.post("/alerts/strategy/", {"text": "x"}).status_code == 403
    html = page("/alerts/strategy/", logged_in(pi))
    assert "<h2>Active: version 1</h2>" in html
    assert 'id="strategy-form"' in html and "GRB follow-up (default)" in html
    assert 'href="/alerts/strategy/"' in page("/alerts/", logged_in(pi))
    assert "the default shipped with PyROS" in html
    assert "The unit has every detector and filter it names" in html


def test_a_profile_the_matrix_lets_read_sees_the_strategy_read_only(pi, monkeypatch):
    hidden, read, act = rights.Access.HIDDEN, rights.Access.READ, rights.Access.ACT
    monkeypatch.setitem(rights.MATRIX, "alerts.strategy",
                        (hidden, hidden, hidden, hidden, read, hidden, act, act))
    operator = logged_in(make_user("olga", ProfileLevel.OPERATOR))
    html = page("/alerts/strategy/", operator)
    assert "<h2>Active: version 1</h2>" in html and 'id="active-text"' in html
    assert 'id="strategy-form"' not in html
    assert "Start a new version" not in page("/alerts/strategy/1/", operator)
    text = active_strategy().text
    response = operator.post("/alerts/strategy/", {"text": text, "action": "check"})
    assert response.status_code == 403
    assert Strategy.objects.count() == 1


def test_a_new_version_is_checked_then_saved(pi):
    client = logged_in(pi)
    original = active_strategy().text
    text = original.replace("priority = 9", "priority = 10", 1).replace(
        '"Infrared camera"', '"Thermal camera"', 1)
    html = client.post("/alerts/strategy/", {"text": text, "comment": "faster Swift",
                                             "action": "check"}).content.decode()
    assert "Saving makes it version 2" in html
    assert "templates.grb: no channel &#x27;Thermal camera&#x27;" in html
    assert "-priority = 9\n+priority = 10" in html
    assert f'<input type="hidden" name="checked" value="{digest(text)}"' in html
    assert Strategy.objects.count() == 1  # checking saves nothing
    # Saving another text than the one checked only checks it.
    changed = text.replace("priority = 10", "priority = 8", 1)
    response = client.post("/alerts/strategy/", {"text": changed, "checked": digest(text),
                                                 "action": "save"})
    assert response.status_code == 200 and Strategy.objects.count() == 1
    assert "The text changed since it was checked" in response.content.decode()
    response = client.post("/alerts/strategy/", {"text": text, "comment": "faster Swift",
                                                 "checked": digest(text), "action": "save"})
    assert response.status_code == 302 and response["Location"] == "/alerts/strategy/"
    saved = Strategy.objects.get(is_active=True)
    assert (saved.version, saved.text, saved.created_by, saved.comment) == (
        2, text, pi, "faster Swift")
    html = page("/alerts/strategy/", client)
    assert "Version 2 saved" in html and "<h2>Active: version 2</h2>" in html
    assert re.findall(r'<tr data-version="(\d+)"', html) == ["2", "1"]
    version = page("/alerts/strategy/1/", client)
    assert "<h1>Strategy version 1</h1>" in version and "priority = 9" in version
    assert 'href="/alerts/strategy/?from=1"' in version
    assert "priority = 9" in page("/alerts/strategy/?from=1", client).split('id="id_text"')[1]


def test_an_invalid_strategy_is_refused_with_the_key_named(pi):
    client = logged_in(pi)
    text = active_strategy().text.replace('template = "grb"', 'template = "nope"', 1)
    response = client.post("/alerts/strategy/", {"text": text, "action": "check"})
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'<pre class="problems" id="strategy-errors">[^<]*rules\[0\]\.template: '
                     r"&#x27;nope&#x27; is not a template", html)
    assert 'id="save-strategy"' not in html
    response = client.post("/alerts/strategy/", {"text": text, "checked": digest(text),
                                                 "action": "save"})
    assert response.status_code == 400 and Strategy.objects.count() == 1
    response = client.post("/alerts/strategy/", {"text": "[rules", "action": "check"})
    assert "not valid TOML or JSON" in response.content.decode()


def test_the_transient_candidates_of_its_frames_are_on_the_event_page(alerts, tmp_path):
    from pyros.analysis import store as analysis
    from pyros.analysis.models import Candidate
    from pyros.images.models import Image

    swift = alerts["Swift:655721"]
    assert "No candidate" in page(f"/alerts/{swift.pk}/")
    sequence = swift.packets.exclude(request=None).first().request.sequences.first()
    began = swift.created_at
    taken = Image.objects.create(
        path=str(tmp_path / "grb.fits"), night=began.date(), channel="VIS", frame_type="LIGHT",
        exposure=30.0, date_obs=began, date_end=began, work_key="sequence", sequence=sequence)
    queued = analysis.enqueue(taken)
    assert queued.priority == 1 and analysis.alert_event_of(taken) == swift
    cutout = tmp_path / "c1-new.png"
    cutout.write_bytes(b"\x89PNG\r\n\x1a\n")
    Candidate.objects.create(analysis=queued, event=swift, kind="NEW", ra=319.6588,
                             dec=-34.9131, mag=16.42, mag_err=0.03, snr=40.0, distance=0.0001,
                             new_cutout=str(cutout), found_at=began)
    html = page(f"/alerts/{swift.pk}/")
    section = html[html.index('id="candidates"'):]
    assert "16.42 ± 0.03" in section and "319.65880" in section
    assert 'alt="new"' in section and 'alt="reference"' not in section
