from django.shortcuts import render

from pyros.accounts.models import user_level
from pyros.web.tiles import visible_tiles


def home(request):
    return render(request, "web/home.html", {"tiles": visible_tiles(user_level(request.user))})
