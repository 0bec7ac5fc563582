"""Who sees which frames: the rights matrix and the proprietary period."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser

from pyros.accounts.profiles import ProfileLevel
from pyros.archive.access import visible_frames
from tests.archive.conftest import TAKEN
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
SOON = TAKEN + timedelta(days=1)


def names(user, unit, now=SOON) -> set[str]:
    return {f.basename for f in visible_frames(user, unit, now)}


def test_an_observer_sees_their_programs_frames_and_calibrations(archived_night, observer):
    unit = archived_night.unit
    assert names(observer, unit) == {"m31-0.fits", "m31-1.fits", "m31-2.fits",
                                     "m31-0-cal.fits", "m31-0-cat.fits", "bias-0.fits",
                                     "master-bias-VIS-bin1.fits"}


def test_staff_see_everything(archived_night, admin_user):
    unit = archived_night.unit
    assert len(names(admin_user, unit)) == len(archived_night.all)
    for level in (ProfileLevel.IE_IS, ProfileLevel.SUPEROPERATOR, ProfileLevel.PI):
        staff = make_user(f"staff{int(level)}", level)
        assert len(names(staff, unit)) == len(archived_night.all), level


def test_others_see_calibrations_then_public_frames(archived_night, outsider):
    unit = archived_night.unit
    visitor = make_user("vic", ProfileLevel.VISITOR)
    for user in (outsider, visitor):
        assert names(user, unit) == {"bias-0.fits", "master-bias-VIS-bin1.fits"}
        later = TAKEN + timedelta(days=366)
        assert len(names(user, unit, later)) == len(archived_night.all)


def test_anonymous_visitors_see_public_frames_only_if_the_site_says_so(archived_night):
    unit = archived_night.unit
    assert names(AnonymousUser(), unit) == set()
    opened = unit.model_copy(update={"archive": unit.archive.model_copy(
        update={"public_to_anonymous": True})})
    assert names(AnonymousUser(), opened) == {"bias-0.fits", "master-bias-VIS-bin1.fits"}
