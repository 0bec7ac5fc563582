"""The rights table's objects (``tests/rights/conftest.py``): every route of the site is
tried with hostile inputs on the same objects the rights are proven on."""

from tests.rights.conftest import archive_unit, archived_night, world  # noqa: F401
