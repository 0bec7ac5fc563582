from django.shortcuts import render

from pyros.accounts.models import user_level
from pyros.web.tiles import visible_tiles


def home(request):
    return render(request, "web/home.html", {"tiles": visible_tiles(user_level(request.user))})


def favicon(request):
    """``/favicon.ico``, which browsers ask for by themselves (on an API answer, an
    image): the site's icon, the one the pages link to."""
    from django.shortcuts import redirect
    from django.templatetags.static import static

    return redirect(static("pyros/favicon.svg"), permanent=True)
