"""The PLC link: the status document the site's PLC sends, the client that asks for it,
and a simulator that plays scenario files in its place.

The PLC (a Beckhoff controller in the original site) knows the weather sensors and the
site (doors, lights, power, emergency stop). Environment monitoring asks it for its
status once per iteration; everything it answers goes through ``document`` first, so a
malformed frame is an error that names the device and the value, never a half-read dict.

- ``document``: the status document as pydantic models; parsing and validation of every
  frame (``PlcFrameError``), lookup of a value by device and name.
- ``scenario``: scenario files (the guide's format, plus events by elapsed seconds and
  failure events) and ``ScenarioPlayer``, which says what the PLC answers at a given
  iteration or time.
- ``simulator``: an asyncio TCP server speaking the PLC protocol and playing a scenario;
  ``python -m pyros.plc.simulator --port 5003 --scenario rain``.
- ``client``: ``PlcClient``, synchronous, for an agent's thread: timeouts, reconnection,
  and the last good document kept with its age when the PLC stops answering properly.

The protocol is newline-delimited JSON over TCP: the client sends ``{"request":
"status"}`` and the PLC answers with its status document on one line (see
``simulator``); ``{"request": "bypass", "value": 1}`` (or 0) sets the control centre's
PLC BYPASS and is answered the same way, the document's ``SITE.Bypass`` echoing it.

Package data (``data/``): ``plc_status_default.json`` is the status document of the
guide's monitoring log (section 13.10.4.4, brackets restored; units and spellings such as
"Celcius" are the PLC's own), plus a ``SITE`` device the guide's log lacks (doors,
lights, shutter, mains and UPS, intrusion, emergency stop, PLC mode, night ACK), and is
the simulator's default answer;
``scenario_rain.json`` is the guide's ``scenario_plc.json`` (rain of 12 mm/h on WXT520
and VantagePro from iteration 3, dry again at iteration 7).

Plain Python: depends on pydantic and ``pyros.clock`` only; no Django, no agents.
"""
