"""Planning: what the telescope does tonight.

The core — ``problem``, ``sky``, ``visibility``, ``candidates``, the engines (``greedy``,
``optimal``, ``incremental``), ``placement``, ``bound``, ``planner``, ``verify``,
``simulation`` — is plain Python on astropy and OR-Tools: it imports neither Django nor
the agents. The Django app (models, store, agent, pages, API) builds problems from the
database and keeps every plan.
"""
