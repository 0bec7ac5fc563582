"""The objects every route of the rights table is tried on: one user per profile, two
observers in two programs (``alice`` in GRB is the Observer profile and owns one of
everything; ``carol`` in SN owns the same), their requests, proposals and archived
frames. Built from the archive tests' night (real FITS files, catalogued as PyROS
catalogues them), so the image pages read real files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from pyros.accounts.profiles import ProfileLevel
from tests.archive.conftest import archive_unit, archived_night  # noqa: F401
from tests.conftest import make_user
from tests.proposals.conftest import propose


@dataclass
class World:
    """Everything a route's URL arguments are taken from."""

    users: dict[str, Any]       # profile key -> user (None: anonymous)
    carol: Any                  # the other program's observer
    target: Any                 # an observer the user pages are tried on
    request: Any                # alice's
    other_request: Any          # carol's
    proposal: Any               # alice's
    other_proposal: Any         # carol's
    program: Any                # GRB, alice's
    other_program: Any          # SN, carol's
    frame: Any                  # an archive frame of alice's request
    other_frame: Any            # carol's
    call: Any

    @property
    def sequence(self) -> Any:
        return self.request.sequences.first()

    @property
    def album(self) -> Any:
        return self.sequence.albums.first()

    @property
    def plan(self) -> Any:
        return self.album.plans.first()


@pytest.fixture
def world(archived_night, grb_program) -> World:  # noqa: F811
    from pyros.accounts.models import User
    from pyros.programs.models import ScientificProgram
    from pyros.proposals.models import Call

    alice = grb_program.members.get(username="alice")
    carol = User.objects.get(username="carol")
    users = {
        "anonymous": None,
        "visitor": make_user("visitor", ProfileLevel.VISITOR),
        "tac": make_user("tac", ProfileLevel.TAC),
        "observer": alice,
        "ie_is": make_user("engineer", ProfileLevel.IE_IS),
        "operator": make_user("operator", ProfileLevel.OPERATOR),
        "superoperator": make_user("superoperator", ProfileLevel.SUPEROPERATOR),
        "pi": make_user("pi", ProfileLevel.PI),
        "sysadmin": make_user("sysadmin", ProfileLevel.SYSADMIN),
    }
    mine = archived_night.mine[0]
    return World(
        users=users, carol=carol, target=make_user("target", ProfileLevel.OBSERVER),
        request=mine.request, other_request=archived_night.theirs[0].request,
        proposal=propose(alice), other_proposal=propose(carol, title="Supernovae"),
        program=grb_program, other_program=ScientificProgram.objects.get(name="SN"),
        frame=mine, other_frame=archived_night.theirs[0],
        call=Call.objects.order_by("-pk").first(),
    )
