"""Template context shared by every page."""

from django.conf import settings

from pyros import __version__
from pyros.accounts.models import user_level


def site(request):
    return {
        "unit": settings.UNIT,
        "pyros_version": __version__,
        "profile_level": user_level(request.user),
    }
