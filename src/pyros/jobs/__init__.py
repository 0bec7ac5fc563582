"""Long work asked for from the web (a planning simulation), run outside the web server.

A web request that computes for seconds holds a gunicorn thread that public pages need;
a few of them starve the site. So the web only checks the input and stores a
:class:`~pyros.jobs.models.Job` row (owner, kind, parameters); the job runner
(``python -m pyros.jobs.runner``, a child of the supervisor where the web runs) runs a
bounded number at once, and the page polls the job's state. Limits per user and
site-wide are applied when the job is submitted: beyond them the answer is 429.

May import: config, accounts; a kind's function is named by a dotted path
(:mod:`pyros.jobs.kinds`), so the app that owns the work depends on this one, not the
other way round.
"""
