"""The majordome's pages: its part of the Observatory page (everyone reads it, with a
warning when the majordome is not running), the Observatory control page (IE/IS and
above) with the buttons each profile sees in each situation, the actions taken from the
page (confirmed, checked again, logged, the majordome woken), and the night log.

Situations are made by writing the rows the store reads (the majordome's state, the
safety decision, the operating mode, the operator's switches), decided at the suite's
simulated now so that they are current."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client

from pyros.accounts.profiles import ProfileLevel
from pyros.agents.models import Command
from pyros.instruments.models import Mode, OperatingMode
from pyros.majordome.models import LogKind, MajordomeState, NightLogEntry, ObservatoryControl
from pyros.majordome.states import State
from pyros.monitoring.models import SafetyState
from pyros.observations.models import Sequence
from tests.conftest import TEST_NOW, make_user

pytestmark = pytest.mark.django_db

#: TEST_NOW is before local noon at the example site: the night of the 20th.
TONIGHT = "2026-11-20"
RAIN = "RAINING: rain rate 12 mm/h (limit 0)"
PROFILES = {"visitor": ProfileLevel.VISITOR, "observer": ProfileLevel.OBSERVER,
            "engineer": ProfileLevel.IE_IS, "operator": ProfileLevel.OPERATOR,
            "pi": ProfileLevel.PI, "sysadmin": ProfileLevel.SYSADMIN}


# --- Situations -------------------------------------------------------------------------


def set_safety(safe: bool) -> None:
    SafetyState.objects.update_or_create(pk=SafetyState.SINGLETON_ID, defaults={
        "safe": safe, "status": "OK" if safe else "RAINING", "reasons": [] if safe else [RAIN],
        "since": TEST_NOW - timedelta(hours=1), "changed_at": TEST_NOW - timedelta(hours=1),
        "decided_at": TEST_NOW})


def set_majordome(state: State, *, cause: str = "", decided_at=TEST_NOW, **fields) -> None:
    defaults = {"state": state, "cause": cause or f"test: {state}",
                "since": TEST_NOW - timedelta(minutes=12), "phase": "NIGHT",
                "sun_altitude": -25.3, "why_not": ["no sequence of the plan is due now"],
                "decided_at": decided_at, **fields}
    MajordomeState.objects.update_or_create(pk=MajordomeState.SINGLETON_ID, defaults=defaults)


def set_situation(state: State, *, safe: bool = True, mode: Mode = Mode.SCHEDULER,
                  **switches: object) -> None:
    """The majordome in ``state``, deciding now; the site safe or not; the mode; and the
    operator's switches (fields of ObservatoryControl)."""
    set_safety(safe)
    set_majordome(state)
    OperatingMode.change(mode, by="cli:test", at=TEST_NOW, reason="test")
    if switches:
        ObservatoryControl.objects.update_or_create(pk=ObservatoryControl.SINGLETON_ID,
                                                    defaults=switches)


def require_night_ack(settings) -> None:
    unit = settings.UNIT
    settings.UNIT = unit.model_copy(update={
        "majordome": unit.majordome.model_copy(update={"require_night_ack": True})})


# --- Users and pages ----------------------------------------------------------------------


def users_of_every_profile() -> dict:
    """A user of each profile whose rights differ here, by profile name."""
    return {name: make_user(f"{name}-user", level) for name, level in PROFILES.items()}


@pytest.fixture
def users(initial_data) -> dict:
    return users_of_every_profile()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def buttons(html: str) -> list[str]:
    """The actions offered as buttons on a control page."""
    return re.findall(r'<form [^>]*class="control-form" data-action="(\w+)"', html)


def unavailable(html: str) -> dict[str, str]:
    """The actions listed as not available now, with their reason."""
    return dict(re.findall(r'<li data-action="(\w+)"><span class="action-label">[^<]*</span>: '
                           r"([^<]*)</li>", html))


def controls_of(user) -> tuple[list[str], dict[str, str]]:
    html = html_of(client_for(user).get("/observatory/control/"))
    return buttons(html), unavailable(html)


# --- The Observatory page's part ----------------------------------------------------------


def test_everyone_reads_the_majordome_on_the_observatory_page(grb_program, admin_user):
    set_situation(State.OBSERVING)
    sequence = Sequence.objects.create(
        request=_request(grb_program, admin_user), position=1, name="first look",
        ra=150.0, dec=-20.0, start=TEST_NOW, end=TEST_NOW + timedelta(hours=6),
        duration=600)
    set_majordome(State.OBSERVING, cause="executing a sequence", why_not=[],
                  work="sequence first look (GRB 261121A)", sequence=sequence,
                  fault="")
    html = html_of(Client().get("/observatory/"))
    assert '<span id="majordome-badge" class="state state-OBSERVING">OBSERVING</span>' in html
    assert "since 2026-11-21 11:48:00 UTC (12 min 0 s)" in html
    assert '<p id="majordome-cause" class="majordome-cause">executing a sequence</p>' in html
    assert "NIGHT <span class=\"muted\">altitude -25.3°</span>" in html
    assert "sequence first look (GRB 261121A)" in html
    assert f"#{sequence.pk}" in html and "first look" in html
    assert '<li class="muted">We are observing.</li>' in html
    assert "not running" not in html
    assert 'data-refresh-url="/observatory/majordome/part/"' in html
    assert "/static/majordome/majordome.js" in html
    assert "/observatory/control/" not in html  # a visitor is not shown the control link


def _request(program, owner):
    from pyros.observations.models import Request

    return Request.objects.create(name="GRB follow-up", program=program, owner=owner,
                                  created_at=TEST_NOW, updated_at=TEST_NOW)


def test_the_part_says_why_not_observing_and_shows_a_fault():
    set_situation(State.STANDBY, safe=False)
    set_majordome(State.STANDBY, cause="a device fault: closed and parked until it clears",
                  why_not=["a device fault (see the night log)", "it is daytime"],
                  fault="the dome would not open: shutter stuck")
    html = html_of(Client().get("/observatory/majordome/part/"))
    assert "<h3>Why are we not observing?</h3>" in html
    assert "<li>a device fault (see the night log)</li>" in html
    assert "<li>it is daytime</li>" in html
    assert "Device fault: the dome would not open: shutter stuck" in html
    assert "<h1>" not in html  # the part alone, for the refreshes


def test_a_majordome_that_stopped_deciding_is_said_not_running():
    set_situation(State.SCHEDULER_READY)
    set_majordome(State.SCHEDULER_READY, decided_at=TEST_NOW - timedelta(minutes=2))
    html = html_of(Client().get("/observatory/"))
    assert ("The majordome is not running: no decision since 2026-11-21 11:58:00 UTC "
            "(2 min 0 s ago)") in html
    assert 'class="card majordome-state is-stale"' in html


def test_a_majordome_that_never_ran_is_said_not_running():
    html = html_of(Client().get("/observatory/"))
    assert '<span id="majordome-badge" class="state state-STARTING">STARTING</span>' in html
    assert "The majordome is not running: it has never decided" in html
    assert "<li>the majordome has not started</li>" in html
    assert "Nothing logged yet." in html


def test_the_observatory_page_lists_the_last_20_lines_of_the_night_log():
    for minute in range(25):
        NightLogEntry.objects.create(time=TEST_NOW - timedelta(minutes=30 - minute),
                                     night=TONIGHT, kind=LogKind.STATE,
                                     message=f"line {minute}")
    html = html_of(Client().get("/observatory/"))
    table = html[html.index('id="recent-log"'):]
    assert table.count('<tr data-kind="STATE">') == 20
    assert "line 24" in table and "line 5<" in table and "line 4<" not in table
    assert table.index("line 24") < table.index("line 23")  # newest first


# --- The control page: who sees it, and which buttons ---------------------------------------


def test_the_control_page_is_hidden_below_ie_is(users):
    set_situation(State.SCHEDULER_READY)
    anonymous = Client().get("/observatory/control/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    expected = {"visitor": 403, "observer": 403, "engineer": 200, "operator": 200, "pi": 200,
                "sysadmin": 200}
    for name, status in expected.items():
        client = client_for(users[name])
        assert client.get("/observatory/control/").status_code == status, name
        assert client.get("/observatory/control/part/").status_code == status, name


def test_the_observatory_page_links_the_control_page_for_those_who_may_see_it(users):
    assert "/observatory/control/" in html_of(client_for(users["engineer"]).get("/observatory/"))
    assert "/observatory/control/" not in html_of(
        client_for(users["observer"]).get("/observatory/"))


def test_ready_and_safe_the_operator_may_lock_and_the_others_may_not(users):
    set_situation(State.SCHEDULER_READY)
    offered, greyed = controls_of(users["operator"])
    assert offered == ["lock", "go_remote", "stop"]
    assert greyed == {"bypass": "only offered when the PLC says UNSAFE",
                      "stop_bypass": "the PLC is not bypassed",
                      "unlock": "the observatory is not locked",
                      "go_scheduler": "already in SCHEDULER mode",
                      "resume": "nothing to resume",
                      "night_ack": "this site does not require the night ACK"}
    for name in ("engineer", "pi", "sysadmin"):
        offered, greyed = controls_of(users[name])
        assert offered == ["go_remote", "stop"], name
        assert set(greyed) == {"go_scheduler", "resume"}, name  # no LOCK, no BYPASS at all


def test_unsafe_the_operator_may_bypass_but_not_lock(users):
    set_situation(State.STANDBY, safe=False)
    offered, greyed = controls_of(users["operator"])
    assert offered == ["bypass", "go_remote", "stop"]
    assert greyed["lock"] == "only offered when SAFE (unsafe, it closes by itself)"
    html = html_of(client_for(users["operator"]).get("/observatory/control/"))
    assert 'data-confirm="Take the site as SAFE whatever the PLC says?"' in html
    assert ">PLC BYPASS (set to SAFE)</button>" in html
    ObservatoryControl.objects.update_or_create(pk=1, defaults={"bypass": True})
    html = html_of(client_for(users["operator"]).get("/observatory/control/"))
    assert ('<span class="warning" id="switch-bypass-pending">waiting for the PLC to echo '
            'it: unsafe is not taken as safe yet</span>') in html


def test_locked_and_closed_the_operator_may_unlock(users):
    set_situation(State.STANDBY, locked=True, locked_by="web:olga", locked_at=TEST_NOW)
    offered, greyed = controls_of(users["operator"])
    assert offered == ["unlock", "stop"]
    assert greyed["go_remote"] == "the observatory is locked"
    html = html_of(client_for(users["operator"]).get("/observatory/control/"))
    assert '<div class="switch is-on" id="switch-locked"><dt>Lock</dt>' in html
    assert "<strong>LOCKED</strong>" in html
    assert "by web:olga at 2026-11-21 12:00:00" in html


def test_in_remote_mode_stop_is_not_offered_and_go_scheduler_is(users):
    set_situation(State.REMOTE, mode=Mode.REMOTE)
    offered, greyed = controls_of(users["engineer"])
    assert offered == ["go_scheduler"]
    assert greyed == {"go_remote": "already in REMOTE mode", "stop": "only in SCHEDULER mode",
                      "resume": "nothing to resume"}


def test_the_operator_gives_the_night_ack_where_it_is_required(users, settings):
    require_night_ack(settings)
    set_situation(State.SCHEDULER_STANDBY)
    offered, _ = controls_of(users["operator"])
    assert "night_ack" in offered
    assert "night_ack" not in controls_of(users["engineer"])[0]
    html = html_of(client_for(users["operator"]).get("/observatory/control/"))
    assert "Night ACK <span class=\"muted\">night of 2026-11-20</span>" in html
    assert "<strong>not given</strong>" in html


# --- Taking an action from the page ------------------------------------------------------------


def post(user, action: str, confirmed: bool = True, client: Client | None = None):
    data = {"action": action, **({"confirmed": "yes"} if confirmed else {})}
    return (client or client_for(user)).post("/observatory/control/", data)


def nothing_happened() -> None:
    assert not Command.objects.exists()
    assert not NightLogEntry.objects.exists()
    control = ObservatoryControl.current()
    assert not (control.locked or control.bypass or control.stopped)


def test_an_action_asks_for_confirmation_first(users):
    set_situation(State.SCHEDULER_READY)
    response = post(users["operator"], "lock", confirmed=False)
    html = html_of(response)
    assert "<h1>LOCK OBSERVATORY</h1>" in html
    assert "<p>Close and park, and stay closed until unlocked?</p>" in html
    assert '<input type="hidden" name="confirmed" value="yes">' in html
    nothing_happened()


def test_a_confirmed_lock_is_taken_logged_and_sent_to_the_majordome(users):
    set_situation(State.SCHEDULER_READY)
    client = client_for(users["operator"])
    response = post(users["operator"], "lock", client=client)
    assert response.status_code == 302 and response["Location"] == "/observatory/control/"
    control = ObservatoryControl.current()
    assert (control.locked, control.locked_by, control.locked_at) == (
        True, "web:operator-user", TEST_NOW)
    entry = NightLogEntry.objects.get()
    assert (entry.kind, entry.message, str(entry.night)) == (
        LogKind.OPERATOR, "LOCK OBSERVATORY by web:operator-user", TONIGHT)
    assert entry.detail == {"action": "lock", "by": "web:operator-user",
                            "state": "SCHEDULER_READY"}
    command = Command.objects.get()
    assert (command.recipient, command.name, command.sender, command.args) == (
        "majordome", "control_changed", "web:operator-user", {"action": "lock"})
    html = html_of(client.get("/observatory/control/"))
    assert '<li class="msg-success">LOCK OBSERVATORY: done</li>' in html
    assert "lock" not in buttons(html)


def test_go_remote_changes_the_operating_mode(users):
    set_situation(State.SCHEDULER_READY)
    assert post(users["engineer"], "go_remote").status_code == 302
    mode = OperatingMode.current()
    assert (mode.mode, mode.changed_by, mode.reason) == (Mode.REMOTE, "web:engineer-user",
                                                         "GO REMOTE")
    assert NightLogEntry.objects.get().message == "GO REMOTE by web:engineer-user"
    assert Command.objects.get().args == {"action": "go_remote"}


def test_a_profile_without_the_right_is_refused_with_403(users):
    set_situation(State.SCHEDULER_READY)
    assert post(users["observer"], "go_remote").status_code == 403  # not even the page
    assert post(users["engineer"], "lock").status_code == 403
    assert post(users["sysadmin"], "bypass").status_code == 403  # the Operator's alone
    nothing_happened()


@pytest.mark.parametrize(("state", "safe", "action", "reason"), [
    (State.STANDBY, False, "lock",
     "LOCK OBSERVATORY is not available now: only offered when SAFE (unsafe, it closes by "
     "itself)"),
    (State.SCHEDULER_READY, True, "unlock",
     "UNLOCK OBSERVATORY is not available now: the observatory is not locked"),
    (State.SCHEDULER_READY, True, "bypass",
     "PLC BYPASS (set to SAFE) is not available now: only offered when the PLC says UNSAFE"),
], ids=["lock when unsafe", "unlock when not locked", "bypass when safe"])
def test_an_action_the_state_does_not_allow_is_refused_with_the_reason(
        users, state, safe, action, reason):
    set_situation(state, safe=safe)
    client = client_for(users["operator"])
    assert post(users["operator"], action, client=client).status_code == 302
    nothing_happened()
    assert f'<li class="msg-error">{reason}</li>' in html_of(client.get("/observatory/control/"))


def test_unlock_waits_for_standby(users):
    set_situation(State.CLOSING, locked=True)
    client = client_for(users["operator"])
    post(users["operator"], "unlock", client=client)
    assert ObservatoryControl.current().locked
    assert ("UNLOCK OBSERVATORY is not available now: offered once the observatory is closed "
            "in STANDBY") in html_of(client.get("/observatory/control/"))
    assert not Command.objects.exists()


def test_an_unknown_action_is_said_so(users):
    client = client_for(users["operator"])
    post(users["operator"], "open_the_dome", client=client)
    assert "&#x27;open_the_dome&#x27; is not an action" in html_of(
        client.get("/observatory/control/"))
    nothing_happened()


def test_the_form_needs_its_csrf_token(users):
    set_situation(State.SCHEDULER_READY)
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["operator"])
    assert post(users["operator"], "lock", client=client).status_code == 403
    nothing_happened()


# --- The night log page ---------------------------------------------------------------------


def test_the_night_log_page_filters_by_night_and_kind():
    NightLogEntry.objects.create(time=TEST_NOW - timedelta(hours=6), night=TONIGHT,
                                 kind=LogKind.STATE, message="SCHEDULER_READY: ready")
    NightLogEntry.objects.create(time=TEST_NOW - timedelta(hours=5), night=TONIGHT,
                                 kind=LogKind.OPERATOR, message="LOCK OBSERVATORY by web:olga")
    NightLogEntry.objects.create(time=TEST_NOW - timedelta(days=1), night="2026-11-19",
                                 kind=LogKind.STATE, message="yesterday's line")
    html = html_of(Client().get("/observatory/log/"))
    assert "The night of 2026-11-20 (the date of its evening): tonight" in html
    assert html.index("LOCK OBSERVATORY by web:olga") < html.index("SCHEDULER_READY: ready")
    assert "yesterday" not in html
    html = html_of(Client().get("/observatory/log/?kind=OPERATOR"))
    assert "LOCK OBSERVATORY" in html and "SCHEDULER_READY: ready" not in html
    assert '<option value="OPERATOR" selected>Operator</option>' in html
    html = html_of(Client().get("/observatory/log/?night=2026-11-19"))
    assert "yesterday&#x27;s line" in html and "LOCK" not in html
    assert '<a href="?night=2026-11-20">tonight</a>' in html


def test_a_bad_night_is_said_so():
    response = Client().get("/observatory/log/?night=tonight")
    assert response.status_code == 400
    assert ("night must be a date YYYY-MM-DD (the date of its evening), not "
            "&#x27;tonight&#x27;") in response.content.decode()
