"""The web site: layout, home page, login, and the URL map of every page and API.

Pages of a domain live in that domain's app (``observations.views``); this app holds
what they share. Depends on every app whose pages it links.
"""
