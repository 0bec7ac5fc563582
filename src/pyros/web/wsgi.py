"""WSGI entry point of the web server started by ``pyros start``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pyros.config.settings")
application = get_wsgi_application()
