"""404 and 500 in the site's style, JSON under /api/, and the favicon (issue 18: a new
user met Django's bare error pages and a missing icon)."""

from __future__ import annotations

import json

import pytest
from django.test import Client, RequestFactory

from pyros.web import errors

pytestmark = pytest.mark.django_db


def test_a_missing_page_is_the_sites_404():
    response = Client().get("/no/such/page/", HTTP_ACCEPT="text/html")
    assert response.status_code == 404
    text = response.content.decode()
    assert "Page not found" in text and "/no/such/page/" in text
    assert "pyros/pyros.css" in text and "favicon" in text  # the site's layout
    assert 'class="topbar"' in text


def test_a_missing_api_path_answers_json():
    response = Client().get("/api/no/such/thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found: /api/no/such/thing/"}


def test_a_server_error_is_the_sites_500_or_json_for_the_api():
    page = errors.server_error(RequestFactory().get("/requests/"))
    assert page.status_code == 500
    text = page.content.decode()
    assert "Server error" in text and "pyros/pyros.css" in text and "favicon" in text
    api = errors.server_error(RequestFactory().get("/api/requests/"))
    assert api.status_code == 500 and api["Content-Type"] == "application/json"
    assert "Server error" in json.loads(api.content)["detail"]


def test_a_view_that_fails_answers_the_500_page(settings):
    settings.ROOT_URLCONF = "tests.web.broken_urls"
    page = Client(raise_request_exception=False).get("/broken/")
    assert page.status_code == 500 and "Server error" in page.content.decode()
    api = Client(raise_request_exception=False).get("/api/broken/")
    assert api.status_code == 500 and "Server error" in json.loads(api.content)["detail"]


def test_the_favicon_is_linked_and_served():
    home = Client().get("/").content.decode()
    assert 'rel="icon"' in home and "pyros/favicon.svg" in home
    redirect = Client().get("/favicon.ico")
    assert redirect.status_code == 301 and redirect["Location"].endswith(".svg")
