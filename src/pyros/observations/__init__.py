"""Observation requests: Request > Sequence > Album > Plan.

The core (``lifecycle``, ``spec``, ``problems``, ``xml_format``, ``json_format``) is plain
Python: the statuses and their allowed transitions, the validated shape of a request,
and the two file formats. ``models`` stores requests, ``store`` validates them against
the unit configuration, the program and its quota and writes them all-or-nothing, and
``api`` and ``views`` are the REST API and the web pages. Depends on ``accounts``,
``programs`` and ``config``.
"""
