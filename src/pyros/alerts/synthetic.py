"""Fresh packets from a real one, for the simulator and the latency benchmark: the same
Swift BAT notice, with a new IVORN, trigger id, time and position, so that each is a
new event the strategy may accept now.

The template is the real packet ``tests/alerts/data/swift_bat_grb_pos_655721.xml``
(from timstaley/voeventdb's test resources, GPL-2.0; see that folder's SOURCES.md)."""

from __future__ import annotations

from datetime import datetime
from importlib import resources

from lxml import etree

TEMPLATE = "swift_bat_grb_pos_template.xml"


def template() -> bytes:
    return resources.files("pyros.alerts").joinpath(TEMPLATE).read_bytes()


def fresh_packet(trigger_id: int, event_time: datetime, ra: float, dec: float,
                 error_radius: float = 0.05, data: bytes | None = None) -> bytes:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(data or template(), parser=parser)
    root.set("ivorn", f"ivo://nasa.gsfc.gcn/SWIFT#BAT_GRB_Pos_{trigger_id}-000")
    stamp = event_time.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-4]
    for element in root.iter():
        tag = etree.QName(element).localname
        if tag == "Param" and element.get("name") == "TrigID":
            element.set("value", str(trigger_id))
        elif tag == "ISOTime":
            element.text = stamp
        elif tag == "Date":
            element.text = event_time.strftime("%Y-%m-%dT%H:%M:%S")
        elif tag == "C1":
            element.text = f"{ra:.4f}"
        elif tag == "C2":
            element.text = f"{dec:.4f}"
        elif tag == "Error2Radius":
            element.text = f"{error_radius:.4f}"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
