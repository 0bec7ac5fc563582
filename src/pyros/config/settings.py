"""Django settings, derived from the environment and the unit configuration.

The database is chosen by ``DATABASE_URL`` (``sqlite:///...``, ``postgresql://...``,
``mysql://...``), else by ``[database] url`` in the unit configuration, else SQLite in
the data directory. Secrets come from the environment or a file in the data directory,
never from the repository.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

from pyros import paths
from pyros.config.database_link import postgresql_options
from pyros.config.loader import active_config
from pyros.config.mail import email_settings, mail_from_environment
from pyros.config.security import CONTENT_SECURITY_POLICY as CSP
from pyros.config.security import lockout_settings, throttle_settings, transport_settings

DATA_DIR = paths.ensure_data_dirs()
UNIT = active_config()


def _secret_key() -> str:
    from_env = os.environ.get("PYROS_SECRET_KEY")
    if from_env:
        return from_env
    key_file = paths.private_file(DATA_DIR / "secret_key")
    key = key_file.read_text().strip()
    if not key:
        key = secrets.token_urlsafe(50)
        key_file.write_text(key)
    return key


def database_settings(url: str, data_dir: Path) -> dict:
    """The Django DATABASES['default'] entry for a database URL ('' means SQLite)."""
    if not url:
        url = f"sqlite:///{data_dir / 'pyros.sqlite3'}"
    config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    engine = config["ENGINE"]
    if engine.endswith("sqlite3"):
        if config["NAME"] and config["NAME"] != ":memory:":
            Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
            paths.private_file(Path(config["NAME"]))
        config["CONN_MAX_AGE"] = 0
        # IMMEDIATE: a transaction that reads then writes takes the write lock at once,
        # instead of failing with "database is locked" when another process wrote between.
        config["OPTIONS"] = {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;",
                             "transaction_mode": "IMMEDIATE"}
        # A file, not memory: agents under test are other processes and must see it.
        config["TEST"] = {"NAME": str(data_dir / "test.sqlite3")}
    elif engine.endswith("mysql"):
        config["OPTIONS"] = {
            "charset": "utf8mb4",
            "init_command": "SET sql_mode='STRICT_ALL_TABLES'",
        }
        config["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
    elif engine.endswith("postgresql"):
        # A cut link to the database becomes an error in seconds, not a hang (two computers).
        config["OPTIONS"] = {**postgresql_options(), **config.get("OPTIONS", {})}
    return config


DEBUG = os.environ.get("PYROS_DEBUG", "") in ("1", "true", "yes")
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [*UNIT.web.allowed_hosts, *os.environ.get("PYROS_ALLOWED_HOSTS", "").split(",")]
ALLOWED_HOSTS = [h for h in ALLOWED_HOSTS if h]
if os.environ.get("PYTEST_VERSION") or DEBUG:
    ALLOWED_HOSTS.append("testserver")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "axes",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "pyros.accounts",
    "pyros.programs",
    "pyros.observations",
    "pyros.agents",
    "pyros.instruments",
    "pyros.monitoring",
    "pyros.scheduling",
    "pyros.alerts",
    "pyros.images",
    "pyros.analysis",
    "pyros.archive",
    "pyros.health",
    "pyros.majordome",
    "pyros.pointing",
    "pyros.focus",
    "pyros.configpage",
    "pyros.mail",
    "pyros.proposals",
    "pyros.jobs",
    "pyros.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The OCS API for TOMs on its own port (docs/tom.md): before CommonMiddleware.
    "pyros.ocs.routing.OcsPortMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A NUL in the address, hostile JSON in the body: a 400 before any view
    # (docs/robustness.md).
    "pyros.web.middleware.RefuseHostileInputMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "pyros.configpage.middleware.ConfigRefreshMiddleware",
    # Last: it turns a lockout noted during the view into the 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pyros.web.urls"
WSGI_APPLICATION = "pyros.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pyros.web.context.site",
                "pyros.mail.context.mail_failures",
                "pyros.health.context.health_warnings",
            ],
        },
    },
]

DATABASES = {
    "default": database_settings(
        os.environ.get("DATABASE_URL") or UNIT.database.url, DATA_DIR
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# Axes first: it refuses a locked-out username+address before any password is hashed.
AUTHENTICATION_BACKENDS = ["pyros.accounts.backends.LockoutBackend",
                           "django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# E-mail (the [mail] section, PYROS_MAIL_* overriding it): EMAIL_*, DEFAULT_FROM_EMAIL,
# PASSWORD_RESET_TIMEOUT, PYROS_SITE_URL, PYROS_ACTIVATION_TIMEOUT, PYROS_MAIL_RETRY_SECONDS.
globals().update(email_settings(mail_from_environment(UNIT.mail)))

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so that an anonymous API call is told 401 and how to authenticate.
        "pyros.accounts.api_tokens.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # limit clamped to 1000, offset bounded: no overflow in the database.
    "DEFAULT_PAGINATION_CLASS": "pyros.web.pagination.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 100,
    **throttle_settings(UNIT.auth, UNIT.web.tls),
}
# --- Authentication and transport (docs/security.md) -------------------------------------
PYROS_TOKEN_DAYS = UNIT.auth.token_days
# Counts shared by every web worker: the rate limits and nothing else.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                 "LOCATION": str(DATA_DIR / "run" / "throttle"),
                 "OPTIONS": {"MAX_ENTRIES": 20_000}},
}
globals().update(lockout_settings(UNIT.auth, UNIT.web.tls))
globals().update(transport_settings(UNIT.web.tls))
CONTENT_SECURITY_POLICY = CSP

SPECTACULAR_SETTINGS = {
    "TITLE": "PyROS API",
    "DESCRIPTION": "Observation requests and, as they land, the rest of the observatory.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "OAS_VERSION": "3.1.0",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PYROS_LOG_LEVEL", "WARNING")},
}
