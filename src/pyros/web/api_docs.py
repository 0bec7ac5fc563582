"""The API's documentation pages under the site's Content-Security-Policy.

Swagger UI is served split (page, then its start-up script as a file) and needs nothing
more than the site's policy. Redoc styles itself by injecting ``<style>`` elements at run
time and parses the schema in a ``blob:`` web worker: its page alone allows inline
styles and blob workers (still no inline script, nothing from another site).
"""

from __future__ import annotations

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

swagger = SpectacularSwaggerSplitView.as_view(
    url_name="api-schema", template_name="web/api_docs/swagger_ui.html")

redoc = csp_update({"style-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})(
    SpectacularRedocView.as_view(url_name="api-schema", template_name="web/api_docs/redoc.html"))
