"""WSGI entry point of the web server started by ``pyros start``."""

import os

from django.core.wsgi import get_wsgi_application

from pyros import clock

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pyros.config.settings")
clock.install_from_environment()
application = get_wsgi_application()
