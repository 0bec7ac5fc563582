"""The lockout check in front of the password check (django-axes).

Axes refuses to authenticate without an HTTP request. Logins that come from no request
(Django's test client, a script in ``pyros shell``) reach no network: nothing to lock
out, so they go straight to the password check instead of failing.
"""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
