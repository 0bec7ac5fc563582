"""Environment monitoring: from PLC status documents to a safe/unsafe decision.

``quantities`` lists what is monitored and what values are possible; ``synthesis``
turns a document into one trusted value per quantity (validated, corrected, the best
valid and fresh sensor first); ``safety`` decides, with thresholds, hysteresis and
delays, and explains itself; ``monitor`` ties them to a PLC client. Plain Python: may
import config, clock and plc; the Django side (history, agent, pages) imports this.
"""
