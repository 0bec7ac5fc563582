"""Long-term health of the observatory and the morning report.

- ``metrics``: the catalogue of the nightly figures (name, unit, what it says) — plain
  Python, read by the configuration's thresholds too;
- ``limits``: a figure against its configured threshold, as a warning — plain Python;
- ``models``: the nightly summaries (one row per night × channel × metric × key), the
  reports built, the users' subscriptions;
- ``sources`` and ``summarise``: the figures of a night read from the analysis, the
  devices' history and the night log, written idempotently;
- ``report``, ``render``, ``mails``: the morning report gathered, drawn as a
  self-contained HTML file kept in the archive, and mailed to its subscribers;
- ``agent``: the "health" agent, which builds both when the majordome logs the end of a
  night; ``views``: the Calibration & Health page and the reports' pages.

May import: config, clock, analysis, images, instruments, majordome, monitoring,
observations, programs, scheduling, alerts, mail, accounts, agents (its Django side);
nothing imports it but the web's URL map, the pages that show its warnings and the CLI.
"""
