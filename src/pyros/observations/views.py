from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from pyros.observations.models import Request


@login_required
def request_list(request):
    return render(request, "observations/request_list.html",
                  {"requests": Request.objects.select_related("program", "owner")})
