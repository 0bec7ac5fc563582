"""Backing up and restoring an observatory: ``pyros backup`` and ``pyros restore``.

A backup is one folder that is enough to bring PyROS back on a fresh machine:

- the database, dumped by the database's own means so that it is consistent while
  PyROS writes (SQLite's online backup API; ``pg_dump`` on an exported snapshot;
  ``mariadb-dump --single-transaction``). It holds everything PyROS records: requests,
  plans, alerts and their versioned strategies, and the archive catalogue (the images'
  rows and their analysis);
- the configuration: the unit configuration file, the web site's secret key, and each
  version of the alert strategy as a file of its own, readable without the database;
- ``manifest.json``: what was saved, from which PyROS and schema, with the SHA-256 of
  every file, so that a restore refuses a corrupt or incomplete folder before it
  touches anything.

``manifest`` is plain Python; ``databases`` speaks to each database and its tools;
``service`` puts them together with Django.
"""
