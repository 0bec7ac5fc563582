"""Environment monitoring: from PLC status documents to a safe/unsafe decision.

The core is plain Python (may import config, clock, plc and the device interfaces):
``quantities`` lists what is monitored and what values are possible; ``synthesis``
turns a document into one trusted value per quantity (validated, corrected, the best
valid and fresh sensor first); ``safety`` decides, with thresholds, hysteresis and
delays, and explains itself; ``monitor`` ties them to a PLC client and to any weather
station of the unit (each shows as a device of the document, under its name).

The Django side imports the core, never the reverse: ``models`` (WeatherWatch,
SiteWatch, SafetyState), ``store`` (the only writer, with the retention policy),
``agent`` (the monitoring agent), ``views``/``api`` (the Weather and Observatory pages
and their JSON).
"""
