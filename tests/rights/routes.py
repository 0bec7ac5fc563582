"""Every URL pattern of the site, with the right of ``accounts/rights.py`` that governs
it, the methods that read and those that act, and how its URL arguments are built from
the test's objects (``conftest.World``). ``test_matrix.py`` fails when a pattern of the
site is missing here: a new page or API endpoint must say who may use it.

Object routes (a request, a proposal, a frame of alice's) name two rights: ``right``
for everybody, ``own`` for the Observer profile, who is alice, the owner. Where the
object rules narrow the matrix further (proposals: seen by their proposer and by those
who vote or decide), ``only`` gives the profiles' access outright.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pyros.accounts.profiles import ProfileLevel
from pyros.accounts.rights import Access, access

H, R, A = Access.HIDDEN, Access.READ, Access.ACT

#: Not matrix rights: anyone; any signed-in user; a link with a token (tried with a
#: bad one: only "never a 500" is checked).
PUBLIC, LOGIN, TOKEN = "public", "login", "token"

#: The profiles tried, in the matrix's order, after an anonymous visitor.
PROFILES: dict[str, ProfileLevel | None] = {
    "anonymous": None, "visitor": ProfileLevel.VISITOR, "tac": ProfileLevel.TAC,
    "observer": ProfileLevel.OBSERVER, "ie_is": ProfileLevel.IE_IS,
    "operator": ProfileLevel.OPERATOR, "superoperator": ProfileLevel.SUPEROPERATOR,
    "pi": ProfileLevel.PI, "sysadmin": ProfileLevel.SYSADMIN,
}

Args = Callable[[Any], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    right: str
    read: tuple[str, ...] = ("GET",)
    act: tuple[str, ...] = ()
    args: Args | None = None
    #: the right the Observer (alice, who owns the object) has on it
    own: str | None = None
    #: the right of the act methods when not ``right`` (an API list: read, create)
    act_right: str | None = None
    #: access the act methods need (ACT; READ where the view checks finer rights after)
    gate: Access = A
    #: access per profile, where object rules narrow the matrix
    only: dict[str, Access] = field(default_factory=dict)
    #: the action routes this page links or posts to (buttons, forms): shown only to
    #: the profiles that may act on them
    buttons: tuple[str, ...] = ()
    #: no object is built for it: an allowed profile may get 404
    missing: bool = False
    api: bool = False

    def expected(self, profile: str, *, acting: bool = False) -> Access:
        """What ``profile`` may do on this route (for its act methods if ``acting``)."""
        if profile in self.only:
            return self.only[profile]
        level = PROFILES[profile]
        if level is None:
            level = ProfileLevel.VISITOR
        right = (self.act_right or self.right) if acting else self.right
        got = access(level, right)
        if self.own and profile == "observer":
            got = max(got, access(level, self.own))
        return got


def pk(get: Callable[[Any], Any]) -> Args:
    return lambda w: {"pk": get(w).pk}


REQ = pk(lambda w: w.request)
NONE_PK: Args = lambda w: {"pk": 999999}  # noqa: E731
PROPOSAL = pk(lambda w: w.proposal)
FRAME = pk(lambda w: w.frame)
USER = pk(lambda w: w.target)
PROGRAM = pk(lambda w: w.program)


def obj(right: str, own: str, **kw: Any) -> Route:
    return Route(right, own=own, **kw)


def req(**kw: Any) -> Route:
    """A route on alice's request: hers to change, the PI's and SysAdmin's too."""
    return Route("requests.all", own="requests", **kw)


def api(right: str, **kw: Any) -> Route:
    return Route(right, api=True, **kw)


#: A proposal of alice's, still open: she changes it; the TAC, the PI and the SysAdmin
#: see it (they vote or decide); everyone else does not know it exists.
PROPOSAL_READERS = {"anonymous": H, "visitor": H, "tac": R, "observer": A, "ie_is": H,
                    "operator": H, "superoperator": H, "pi": R, "sysadmin": R}
#: deleting it: alice, and those who decide (PI, SysAdmin) while it is not accepted
PROPOSAL_DELETERS = {**PROPOSAL_READERS, "pi": A, "sysadmin": A}
#: GRB's page among the programs made from proposals: its members, its PI, deciders
PROGRAM_VIEWERS = {"anonymous": H, "visitor": H, "tac": H, "observer": R, "ie_is": H,
                   "operator": H, "superoperator": H, "pi": A, "sysadmin": A}

#: "For the SysAdmin every field" (issue 16): the PI manages profiles and activation only
SYSADMIN_ONLY = {"pi": H}
#: The archive's search: frames past their proprietary period are public to anyone
#: signed in (``archive.public_to_anonymous`` is off in the example unit), so the list
#: answers every signed-in profile (with only public frames where "images" is HIDDEN).
PUBLIC_FRAMES = {"anonymous": H, **{p: R for p in PROFILES if p != "anonymous"}}

SEQ = lambda w: {"pk": w.request.pk, "sequence_id": w.sequence.pk}  # noqa: E731
ALB = lambda w: {"pk": w.request.pk, "album_id": w.album.pk}  # noqa: E731
PLN = lambda w: {"pk": w.request.pk, "plan_id": w.plan.pk}  # noqa: E731

ROUTES: dict[str, Route] = {
    # --- accounts, not matrix rights
    "home": Route(PUBLIC),
    "favicon": Route(PUBLIC),
    "login": Route(PUBLIC, act=("POST",)),
    "logout": Route(PUBLIC, read=(), act=("POST",)),
    "register": Route(PUBLIC, act=("POST",)),
    "register_done": Route(PUBLIC),
    "activate_account": Route(TOKEN, args=lambda w: {"uidb64": "MQ", "token": "bad-token"}),
    "profile": Route(LOGIN, act=("POST",)),
    "password_change": Route(LOGIN, act=("POST",)),
    "profile_token_rotate": Route(LOGIN, read=(), act=("POST",)),
    "profile_token_revoke": Route(LOGIN, read=(), act=("POST",)),
    "admin-login": Route(PUBLIC, act=("POST",)),
    "password_reset": Route(PUBLIC, act=("POST",)),
    "password_reset_done": Route(PUBLIC),
    "password_reset_confirm": Route(TOKEN, act=("POST",),
                                    args=lambda w: {"uidb64": "MQ", "token": "bad-token"}),
    "password_reset_complete": Route(PUBLIC),
    # --- requests
    "observations:request-list": Route("requests", buttons=(
        "observations:request-create", "observations:request-import")),
    "observations:request-create": Route("requests", read=(), act=("GET", "POST")),
    "observations:request-import": Route("requests", read=(), act=("GET", "POST")),
    "observations:request-detail": req(args=REQ, buttons=(
        "observations:request-edit", "observations:request-submit",
        "observations:request-cancel", "observations:sequence-create",
        "observations:sequence-edit", "observations:sequence-delete",
        "observations:album-create", "observations:album-edit", "observations:album-delete",
        "observations:plan-create", "observations:plan-edit", "observations:plan-delete")),
    "observations:request-edit": req(read=(), act=("GET", "POST"), args=REQ),
    "observations:request-submit": req(read=(), act=("GET", "POST"), args=REQ),
    "observations:request-cancel": req(read=(), act=("GET", "POST"), args=REQ),
    "observations:request-export-xml": req(args=REQ),
    "observations:request-export-json": req(args=REQ),
    "observations:sequence-create": req(read=(), act=("GET", "POST"), args=REQ),
    "observations:sequence-edit": req(read=(), act=("GET", "POST"), args=SEQ),
    "observations:sequence-delete": req(read=(), act=("GET", "POST"), args=SEQ),
    "observations:album-create": req(read=(), act=("GET", "POST"), args=SEQ),
    "observations:album-edit": req(read=(), act=("GET", "POST"), args=ALB),
    "observations:album-delete": req(read=(), act=("GET", "POST"), args=ALB),
    "observations:plan-create": req(read=(), act=("GET", "POST"), args=ALB),
    "observations:plan-edit": req(read=(), act=("GET", "POST"), args=PLN),
    "observations:plan-delete": req(read=(), act=("GET", "POST"), args=PLN),
    "programs:program-list": Route("requests"),
    "programs:program-detail": req(args=PROGRAM),
    # --- system, instruments, observatory
    "agents:system": Route("system"),
    "health": Route("system", buttons=("health-subscription",)),
    "health-subscription": Route("system", read=(), act=("POST",), gate=R),
    "health-report": Route("system", args=lambda w: {"night": "2026-11-21"}),
    "health-report-file": Route("system", args=lambda w: {"night": "2026-11-21"},
                                missing=True),  # no report built: 404 to those allowed
    "instruments:telescope": Route("telescope"),
    "instruments:cameras": Route("cameras"),
    "instruments:camera-preview": Route("cameras", args=lambda w: {"channel": "VIS"},
                                        missing=True),
    "monitoring:weather": Route("weather"),
    "monitoring:observatory": Route("observatory"),
    "monitoring:webcams": Route("webcams"),
    "monitoring:webcam-image": Route("webcams", args=lambda w: {"index": 0}),
    "majordome:observatory-part": Route("observatory"),
    "majordome:control": Route("observatory.control", act=("POST",), gate=R),
    "majordome:control-part": Route("observatory.control"),
    "majordome:log": Route("observatory"),
    # --- schedule, alerts
    "scheduling:schedule": Route("schedule"),
    "scheduling:schedule-part": Route("schedule"),
    "scheduling:history": Route("schedule"),
    "scheduling:simulate": Route("schedule"),
    # a simulation's job: its owner's only, so everybody else gets 404
    "scheduling:simulation": Route("schedule", args=NONE_PK, missing=True),
    "scheduling:schedule-detail": Route("schedule", args=NONE_PK, missing=True),
    "scheduling:schedule-detail-part": Route("schedule", args=NONE_PK, missing=True),
    "alerts:alert-list": Route("alerts"),
    "alerts:alert-list-part": Route("alerts"),
    "alerts:refused": Route("alerts"),
    "alerts:strategy": Route("alerts.strategy", act=("POST",)),
    "alerts:strategy-version": Route("alerts.strategy", args=lambda w: {"version": 1},
                                     missing=True),
    "alerts:packet": Route("alerts", args=NONE_PK, missing=True),
    "alerts:alert-detail": Route("alerts", args=NONE_PK, missing=True),
    "alerts:alert-detail-part": Route("alerts", args=NONE_PK, missing=True),
    # --- images
    "archive:list": Route("images", only=PUBLIC_FRAMES),
    "archive:frame": obj("images.all", "images", args=FRAME),
    "archive:thumbnail": obj("images.all", "images", args=FRAME),
    "archive:preview": obj("images.all", "images", args=FRAME),
    "analysis:nights": Route("images"),
    "analysis:night": Route("images", args=lambda w: {"night": "2026-11-21"}),
    "analysis:image": obj("images.all", "images", args=lambda w: {"pk": w.frame.image_id}),
    "analysis:cutout": Route("alerts", args=lambda w: {"pk": 999999, "which": "new"},
                             missing=True),
    # --- configuration, users
    "configpage:config": Route("config", read=(), act=("GET", "POST")),
    "configpage:versions": Route("config", read=(), act=("GET",)),
    "configpage:version": Route("config", read=(), act=("GET",),
                                args=lambda w: {"number": 1}, missing=True),
    "configpage:diff": Route("config", read=(), act=("GET",),
                             args=lambda w: {"old": 1, "new": 2}, missing=True),
    "users:user-list": Route("users", read=(), act=("GET",)),
    "users:user-detail": Route("users", read=(), act=("GET",), args=USER),
    "users:user-profile": Route("users", read=(), act=("POST",), args=USER),
    "users:user-active": Route("users", read=(), act=("POST",), args=USER),
    "users:user-fields": Route("users", read=(), act=("POST",), args=USER, only=SYSADMIN_ONLY),
    "users:user-delete": Route("users", read=(), act=("POST",), args=USER, only=SYSADMIN_ONLY),
    # --- proposals
    "proposals:list": Route("proposals", buttons=("proposals:create",)),
    "proposals:create": Route("proposals.create", read=(), act=("GET", "POST")),
    "proposals:detail": Route("proposals", args=PROPOSAL, only=PROPOSAL_READERS, buttons=(
        "proposals:edit", "proposals:submit", "proposals:delete", "proposals:vote",
        "proposals:decide")),
    "proposals:edit": Route("proposals.create", read=(), act=("GET", "POST"), args=PROPOSAL,
                            only=PROPOSAL_READERS),
    "proposals:submit": Route("proposals.create", read=(), act=("POST",), args=PROPOSAL,
                              only=PROPOSAL_READERS),
    "proposals:delete": Route("proposals.create", read=(), act=("GET", "POST"), args=PROPOSAL,
                              only=PROPOSAL_DELETERS),
    "proposals:vote": Route("proposals.vote", read=(), act=("POST",), args=PROPOSAL),
    "proposals:decide": Route("proposals.quota", read=(), act=("GET", "POST"), args=PROPOSAL),
    "proposals:call-edit": Route("proposals.quota", read=(), act=("GET", "POST"),
                                 args=lambda w: {"pk": w.call.pk}),
    "proposals:program": Route("proposals", args=PROGRAM, only=PROGRAM_VIEWERS,
                               buttons=("proposals:member-add", "proposals:member-remove")),
    "proposals:member-add": Route("proposals", read=(), act=("POST",), args=PROGRAM,
                                  only=PROGRAM_VIEWERS),
    "proposals:member-remove": Route(
        "proposals", read=(), act=("POST",), only=PROGRAM_VIEWERS,
        args=lambda w: {"pk": w.program.pk, "user_id": w.users["observer"].pk}),
    # --- the REST API
    "api-token": api(PUBLIC, read=(), act=("POST",)),
    "api-request-list": api("requests", act=("POST",)),
    "api-request-detail": api("requests.all", own="requests", act=("PUT",), args=REQ),
    "api-request-submit": api("requests.all", own="requests", read=(), act=("POST",),
                              args=REQ),
    "api-request-cancel": api("requests.all", own="requests", read=(), act=("POST",),
                              args=REQ),
    "api-request-export": api("requests.all", own="requests", args=REQ),
    "api-program-list": api("requests"),
    "api-program-detail": api("requests.all", own="requests", args=PROGRAM),
    "api-agent-list": api("system"),
    "api-agent-logs": api("system"),
    "api-agent-command": api("system", args=NONE_PK, missing=True),
    "api-agent-command-send": api("system.command", read=(), act=("POST",),
                                  args=lambda w: {"name": "scheduler"}, missing=True),
    "api-instruments": api("telescope"),
    "api-instruments-command": api("telescope.control", read=(), act=("POST",)),
    "api-weather-now": api("weather"),
    "api-weather-history": api("weather"),
    "api-observatory-site": api("observatory"),
    "api-majordome": api("observatory"),
    "api-observatory-control": api("observatory.control", read=(), act=("POST",), gate=R),
    "api-night-log": api("observatory"),
    "api-schedule-list": api("schedule"),
    "api-schedule-current": api("schedule", missing=True),  # none planned
    "api-schedule-simulate": api("schedule", read=(), act=("POST",), gate=R,
                                 only={"anonymous": H}),
    "api-schedule-detail": api("schedule", args=NONE_PK, missing=True),
    "api-schedule-altitude": api("schedule", missing=True),  # 400: no ra, dec
    "api-job-detail": api(LOGIN, args=NONE_PK, missing=True),  # its owner's only
    "api-alerts-events": api("alerts"),
    "api-alerts-event": api("alerts", args=NONE_PK, missing=True),
    "api-alerts-strategy": api("alerts.strategy"),
    "api-images": api("images"),
    "api-images-masters": api("images.all"),  # calibrations: no program's
    "api-image": api("images.all", own="images", args=lambda w: {"pk": w.frame.image_id}),
    "api-archive-frames": api("images", only=PUBLIC_FRAMES),
    "api-archive-frame": api("images.all", own="images", args=FRAME),
    "api-archive-headers": api("images.all", own="images", args=FRAME),
    "api-archive-related": api("images.all", own="images", args=FRAME),
    "api-archive-url": api("images.all", own="images", args=FRAME),
    "api-archive-file": api("images.all", own="images", args=FRAME),
    "api-archive-thumbnail": api("images.all", own="images", args=FRAME),
    "api-archive-preview": api("images.all", own="images", args=FRAME),
    "api-archive-zip": api("images", only=PUBLIC_FRAMES, missing=True),  # 400: no ids
    "api-user-list": api("users", read=(), act=("GET",)),
    "api-user-detail": api("users", read=(), act=("GET", "PATCH"), args=USER),
    "api-proposal-list": api("proposals", act=("POST",), act_right="proposals.create"),
    "api-proposal-detail": api("proposals", act=("PATCH",), args=PROPOSAL,
                               only=PROPOSAL_READERS),
    "api-proposal-vote": api("proposals.vote", read=(), act=("POST",), args=PROPOSAL),
    "api-clock": api(PUBLIC),
    "api-schema": api(PUBLIC),
    "api-docs": api(PUBLIC),
    "api-redoc": api(PUBLIC),
}
