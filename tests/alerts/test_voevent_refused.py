"""Hostile, malformed and absurd packets are refused with a reason that names the
problem, and nothing in them is ever fetched: no file, no network. Most are real packets
with one thing broken, so each test shows what the parser objects to."""

import math

import pytest

from pyros.alerts.voevent import MAX_PACKET_BYTES, VOEventError, parse_voevent
from tests.alerts import packet

BAT = packet("swift_bat_grb_pos_655721.xml")
V2 = b'xmlns:voe="http://www.ivoa.net/xml/VOEvent/v2.0"'


def refused(data: bytes) -> str:
    with pytest.raises(VOEventError) as error:
        parse_voevent(data)
    assert error.value.reason == str(error.value)
    return error.value.reason


def bat_with(old: bytes, new: bytes) -> bytes:
    assert old in BAT, old
    return BAT.replace(old, new, 1)


def minimal(body: bytes = b"", head: bytes = b"") -> bytes:
    return (head + b'<voe:VOEvent ' + V2 + b' xmlns:xi="http://www.w3.org/2001/XInclude"'
            b' ivorn="ivo://example.org/hostile#1" role="observation" version="2.0">'
            + body + b"</voe:VOEvent>")


LAUGHS = ['<!ENTITY lol0 "lol">'] + [
    f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [' + "\n".join(LAUGHS).encode() + b"]>\n"
    + minimal(b'<What><Param name="x" value="&lol9;"/></What>'))
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?>\n<!DOCTYPE v [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    + minimal(b'<What><Param name="x"><Value>&xxe;</Value></Param></What>'))
EXTERNAL_DTD = (b'<?xml version="1.0"?>\n<!DOCTYPE voe:VOEvent SYSTEM '
                b'"http://127.0.0.1:9/evil.dtd">\n' + minimal())


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD],
                         ids=["billion laughs", "external entity", "external DTD"])
def test_dtd_markup_is_refused(data):
    assert refused(data) == "a DOCTYPE or ENTITY declaration is not allowed in a packet"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_dtd_markup_is_refused_in_wide_encodings_too(encoding):
    declaration = f'version="1.0" encoding="{encoding}"?'
    text = EXTERNAL_ENTITY.decode().replace('version="1.0"?', declaration)
    assert "DOCTYPE" in refused(text.encode(encoding))


def test_the_parser_itself_never_resolves_entities():
    """Behind the DOCTYPE check, the parser would not expand or fetch anything either."""
    from lxml import etree

    from pyros.alerts import voevent

    root = etree.fromstring(EXTERNAL_ENTITY, voevent.safe_parser())
    assert "root:" not in etree.tostring(root).decode()


def test_an_undeclared_entity_is_refused_not_resolved():
    reason = refused(minimal(b'<What><Param name="x" value="&xxe;"/></What>'))
    assert reason.startswith("not well-formed XML") and "xxe" in reason


def test_xinclude_is_inert():
    alert = parse_voevent(minimal(
        b'<What><Param name="passwd"><Value><xi:include href="file:///etc/passwd" parse="text"/>'
        b'</Value></Param><xi:include href="file:///etc/hostname" parse="text"/></What>'))
    assert alert.params == {}
    assert "root:" not in repr(alert.summary())


def test_comments_and_processing_instructions_never_reach_a_value():
    alert = parse_voevent(minimal(
        b'<?xml-stylesheet href="http://127.0.0.1:9/x.xsl"?><What><!-- hidden -->'
        b'<Param name="x" value="1"/></What>'))
    assert alert.params == {"x": "1"}


def test_truncated_packet():
    reason = refused(BAT[: len(BAT) // 2])
    assert reason.startswith("truncated XML")
    assert refused(BAT[:-5]).startswith("truncated XML")


def test_oversized_packet():
    padding = b" " * MAX_PACKET_BYTES
    reason = refused(bat_with(b"<Who>", padding + b"<Who>"))
    assert reason.startswith("packet too large") and str(MAX_PACKET_BYTES) in reason


@pytest.mark.parametrize("data", [b"hello, world", b"\x89PNG\r\n\x1a\n\x00\x00", b'{"ivorn": 1}'])
def test_not_xml(data):
    assert refused(data).startswith("not XML")


def test_empty_packet_and_text_instead_of_bytes():
    assert refused(b"  \n") == "empty packet"
    assert refused(BAT.decode()) == "a packet must be bytes"  # type: ignore[arg-type]


def test_malformed_xml():
    assert refused(bat_with(b"</Who>", b"</Wha>")).startswith("not well-formed XML")


def test_wrong_root_element():
    assert refused(b'<request name="x"/>') == "the root element is <request>, not <VOEvent>"


def test_wrong_namespace():
    reason = refused(bat_with(b"http://www.ivoa.net/xml/VOEvent/v2.0\"",
                              b"http://example.org/VOEvent\""))
    assert reason == "namespace 'http://example.org/VOEvent' is not VOEvent 1.1 or 2.0"


def test_missing_ivorn_and_role():
    assert refused(bat_with(b'ivorn="ivo://nasa.gsfc.gcn/SWIFT#BAT_GRB_Pos_655721-214" ', b"")
                   ) == "the VOEvent has no ivorn attribute"
    assert refused(bat_with(b'role="observation" ', b"")) == "the VOEvent has no role attribute"
    assert refused(bat_with(b'role="observation"', b'role="rumour"')).startswith(
        "role 'rumour' is not one of")
    assert refused(bat_with(b'ivorn="ivo://', b'ivorn="http://')).endswith(
        "is not an ivo:// identifier")


@pytest.mark.parametrize("old, new, reason", [
    (b"<C2>-34.8537</C2>", b"<C2>123</C2>", "dec 123.0 is outside -90..90 degrees"),
    (b"<C2>-34.8537</C2>", b"<C2>-90.5</C2>", "dec -90.5 is outside -90..90 degrees"),
    (b"<C1>319.7309</C1>", b"<C1>400</C1>", "ra 400.0 is outside 0..360 degrees"),
    (b"<C1>319.7309</C1>", b"<C1>-12</C1>", "ra -12.0 is outside 0..360 degrees"),
    (b"<C1>319.7309</C1>", b"<C1>NaN</C1>", "position C1 (ra) 'NaN' is not a finite number"),
    (b"<C2>-34.8537</C2>", b"<C2>north</C2>", "position C2 (dec) 'north' is not a number"),
    (b"<C2>-34.8537</C2>", b"", "position C2 (dec) is missing"),
    (b"<Error2Radius>0.0500", b"<Error2Radius>200",
     "error radius 200.0 deg is larger than the sky"),
    (b'<Position2D unit="deg">', b'<Position2D unit="furlong">',
     "unknown angle unit 'furlong' for the position"),
    (b"<ISOTime>2015-09-15T21:18:24.86", b"<ISOTime>yesterday",
     "event time 'yesterday' is not an ISO date and time"),
    (b'<Param name="Packet_Type" value="61"/>', b'<Param name="Packet_Type" value="sixty-one"/>',
     "Packet_Type 'sixty-one' is not a number"),
    (b"<Description>\n  </Description></voe:VOEvent>",
     b'<Citations><EventIVORN cite="likes">ivo://x/y#1</EventIVORN></Citations></voe:VOEvent>',
     "citation cite='likes' is not one of followup, supersedes, retraction"),
])
def test_absurd_or_missing_values(old, new, reason):
    assert refused(bat_with(old, new)) == reason


def test_ra_of_360_is_0():
    assert parse_voevent(bat_with(b"<C1>319.7309</C1>", b"<C1>360</C1>")).ra == 0.0


def test_error_radius_units():
    arcmin = parse_voevent(bat_with(b"<Error2Radius>0.0500", b'<Error2Radius unit="arcmin">3'))
    assert arcmin.error_radius == pytest.approx(0.05)
    everything_in_arcmin = parse_voevent(
        bat_with(b'<Position2D unit="deg">', b'<Position2D unit="arcmin">')
        .replace(b"<C1>319.7309", b"<C1>19183.854").replace(b"<C2>-34.8537", b"<C2>-2091.222")
        .replace(b"<Error2Radius>0.0500", b"<Error2Radius>3"))
    assert (everything_in_arcmin.ra, everything_in_arcmin.dec,
            everything_in_arcmin.error_radius) == pytest.approx((319.7309, -34.8537, 0.05))


def test_galactic_and_fk4_positions_are_converted_to_icrs():
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    def in_frame(frame: bytes, c1: bytes, c2: bytes):
        system = b'"UTC-%s-GEO"/><AstroCoords coord_system_id="UTC-%s-GEO"' % (frame, frame)
        data = (bat_with(b'"UTC-FK5-GEO"/><AstroCoords coord_system_id="UTC-FK5-GEO"', system)
                .replace(b"<C1>319.7309", b"<C1>" + c1).replace(b"<C2>-34.8537", b"<C2>" + c2))
        return parse_voevent(data)

    centre = in_frame(b"GAL", b"0", b"0")
    assert centre.frame == "GALACTIC"
    assert (centre.ra, centre.dec) == pytest.approx((266.405, -28.936), abs=1e-3)
    fk4 = in_frame(b"FK4", b"10.0", b"40.0")
    expected = SkyCoord(ra=10 * u.deg, dec=40 * u.deg, frame="fk4").icrs
    assert fk4.frame == "FK4"
    assert (fk4.ra, fk4.dec) == pytest.approx((expected.ra.deg, expected.dec.deg))
    assert math.isclose(fk4.error_radius, 0.05)


def test_event_time_in_tt_is_converted_to_utc():
    tt = parse_voevent(
        bat_with(b'"UTC-FK5-GEO"/><AstroCoords coord_system_id="UTC-FK5-GEO"',
                 b'"TT-ICRS-GEO"/><AstroCoords coord_system_id="TT-ICRS-GEO"')
        .replace(b"<ISOTime>2015-09-15T21:18:24.86", b"<ISOTime>2020-01-01T00:01:09.184"))
    assert tt.event_time.isoformat() == "2020-01-01T00:00:00+00:00"


def test_placeholder_position_is_not_a_position():
    placeholder = parse_voevent(bat_with(b"<C1>319.7309</C1>", b"<C1>0.0</C1>")
                                .replace(b"<C2>-34.8537</C2>", b"<C2>0.0</C2>")
                                .replace(b"<Error2Radius>0.0500", b"<Error2Radius>0.0"))
    assert not placeholder.has_position and placeholder.ra is None
    unavailable = parse_voevent(bat_with(b'name="Coords_Type" value="1"',
                                         b'name="Coords_Type" value="0"'))
    assert not unavailable.has_position


def test_test_streams_and_flags_make_test_packets():
    four_pi_sky = packet("fourpisky_test_stream.xml").replace(b'role="test"', b'role="observation"')
    assert parse_voevent(four_pi_sky).test_reason == "published on a TEST stream"
    flagged = bat_with(b'name="Test_Submission" value="false"',
                       b'name="Test_Submission" value="true"')
    assert parse_voevent(flagged).test_reason == "the Test_Submission flag is set"
    utility = bat_with(b'role="observation"', b'role="utility"')
    assert parse_voevent(utility).test_reason == "role is utility"
    assert parse_voevent(BAT).test_reason is None


def test_random_damage_is_refused_with_a_reason_or_read_never_a_crash():
    """Whatever the network sends, the intake gets an Alert or a VOEventError."""
    import random

    from tests.alerts import DATA

    packets = [path.read_bytes() for path in sorted(DATA.glob("*.xml"))]
    junk = [b"<", b">", b'"', b"&", b"&amp;", b"9" * 5000, b"1e999", b"nan", b"</C1>",
            b"\x00", b"\xff", b"<![CDATA[x]]>", b"<?pi x?>", b"<!-- c -->"]
    rng = random.Random(7)
    for _ in range(500):
        data = bytearray(rng.choice(packets))
        for _ in range(rng.randint(1, 4)):
            position = rng.randrange(len(data))
            if rng.random() < 0.4:
                data[position] = rng.randrange(256)
            elif rng.random() < 0.5:
                del data[position:position + rng.randint(1, 50)]
            else:
                data[position:position] = rng.choice(junk)
        try:
            parse_voevent(bytes(data))
        except VOEventError as error:
            assert error.reason
