"""Template context shared by every page."""

from django.conf import settings

from pyros import __version__
from pyros.accounts.models import user_level
from pyros.accounts.rights import Access, access
from pyros.web.simclock import banner

#: The pages of the top bar, each shown to the profiles that may read it.
NAV_RIGHTS = ("weather", "observatory", "webcams", "schedule", "alerts", "telescope", "cameras",
              "requests", "proposals", "system", "users")


def site(request):
    level = user_level(request.user)
    return {
        "unit": settings.UNIT,
        "pyros_version": __version__,
        "profile_level": level,
        "nav": {right: access(level, right) >= Access.READ for right in NAV_RIGHTS},
        **banner(request),
    }
