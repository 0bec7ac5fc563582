"""``pyros bench alerts``: from a packet handed to the local broker to tonight's plan.

A broker, an alerts agent and a scheduler agent run as processes of their own (under
names of their own, so that a running PyROS is not disturbed) on the configured
database. Each packet is a fresh Swift BAT notice (:mod:`pyros.alerts.synthetic`) of a
burst high in tonight's sky, timed from the moment it is handed to the broker
(``t0``, this process) to the decision log's timestamps written by the agents: (a) the
alert record stored, (b) the request submitted, (c) the plan updated, and with
``slew=True`` (d) the mount's slew command: a majordome runs in this process on
simulated devices at night (``majordome.sandbox``: a simulated clock an hour into
tonight's dark time, shared with the agents' processes), each alert's sequence is
started the moment the scheduler's new plan reaches it, and is cancelled once its slew
is logged so that the next alert finds the telescope free. With ``busy=True`` the
telescope is not free: a long sequence of the lowest priority executes when each alert
arrives, so (d) includes stopping it (exposures aborted, the sequence given back) before
the slew; it is planned and started again after each alert. Everything the benchmark
wrote is deleted at the end.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from astropy.time import Time
from django.db import connection

from pyros import clock
from pyros.agents.bench import _wait_alive
from pyros.agents.models import AgentSurvey, Command
from pyros.agents.notify import uses_notifications
from pyros.alerts.models import AlertEvent, AlertLog, AlertPacket, Step
from pyros.alerts.synthetic import fresh_packet
from pyros.alerts.transport import send_packet
from pyros.config.loader import active_config
from pyros.observations.access import SYSTEM
from pyros.observations.lifecycle import RequestStatus
from pyros.observations.models import Request
from pyros.observations.store import cancel_request
from pyros.ports import free_port
from pyros.scheduling.models import Schedule
from pyros.scheduling.sky import night_sky
from pyros.scheduling.store import tonight
from pyros.scheduling.unit import site_of

FIRST_TRIGGER = 9_900_000
STAGES = ("record", "request", "plan", "slew")
WARM_UP = 2  # packets sent first and not counted
STEP_OF = {"record": Step.PARSED, "request": Step.REQUEST, "plan": Step.PLAN,
           "slew": Step.SLEW}


@dataclass
class AlertBench:
    database: str
    notifications: bool
    packets: int
    planned: int
    busy: bool = False  # a sequence was executing when each alert arrived
    preempted: int = 0  # alerts that found it executing
    p50_ms: dict[str, float] = field(default_factory=dict)
    p99_ms: dict[str, float] = field(default_factory=dict)
    slewed: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def high_in_tonights_sky() -> tuple[float, float]:
    """The meridian an hour into tonight's dark time (or an hour from now if it is
    dark already) at the declination of the zenith."""
    unit = active_config()
    now = clock.now()
    sky = night_sky(site_of(unit), tonight(unit, now))
    start, end = sky.dark_seconds
    moment = max(sky.seconds_of(now), start) + 3600
    if moment > end - 1800:
        sky = night_sky(site_of(unit), tonight(unit, now) + timedelta(days=1))
        moment = sky.dark_seconds[0] + 3600
    lst = Time(sky.at(moment)).sidereal_time("apparent", longitude=unit.site.longitude)
    return float(lst.deg), unit.site.latitude


def run_alert_bench(packets: int = 30, progress: Callable[[str], None] = lambda _: None,
                    *, slew: bool = False, busy: bool = False) -> AlertBench:
    if busy and not slew:
        raise ValueError("busy needs slew: the sequence to stop runs on the majordome")
    suffix = f"{socket.gethostname()}-{os.getpid()}"
    scheduler, alerts = f"scheduler-bench-{suffix}", f"alerts-bench-{suffix}"
    port = free_port()
    env = dict(os.environ, PYROS_ALERTS_SCHEDULER=scheduler)
    sandbox = None
    last_schedule = Schedule.objects.order_by("-id").values_list("pk", flat=True).first() or 0
    if slew:
        from pyros.majordome.sandbox import Sandbox

        progress("opening a simulated observatory at night (the dome takes 30 s)")
        sandbox = Sandbox.open(f"majordome-bench-{suffix}")
        env.update(sandbox.environment)
    python = sys.executable
    processes = [
        subprocess.Popen([python, "-m", "pyros.agents.run", "scheduler", "--as", scheduler,
                          "--computer", "bench"], env=env, stdin=subprocess.DEVNULL),
        subprocess.Popen([python, "-m", "pyros.agents.run", "alerts", "--as", alerts,
                          "--computer", "bench"], env=env, stdin=subprocess.DEVNULL),
        subprocess.Popen([python, "-m", "pyros.alerts.broker", "--port", str(port),
                          "--agent", alerts], env=env, stdin=subprocess.DEVNULL),
    ]
    timings: dict[str, list[float]] = {stage: [] for stage in STAGES}
    first = FIRST_TRIGGER + os.getpid() % 1000 * 1000
    triggers = range(first, first + packets + WARM_UP)
    planned = slewed = preempted = 0
    background: Request | None = None
    try:
        _wait_alive(scheduler)
        _wait_alive(alerts)
        _wait_listening(port)
        ra, dec = high_in_tonights_sky()
        if busy:
            background = _background_request(ra, dec)
            background_key = f"sequence-{background.sequences.get().pk}"
            progress("a long sequence of the lowest priority executes: every alert stops it")
        progress(f"broker on port {port}, agents up; {packets} packets")
        for n, trigger in enumerate(triggers):
            # Round before wrapping: 359.99996 would be written as 360.0000, refused.
            data = fresh_packet(trigger, clock.now(), round(ra + 0.01 * n, 4) % 360.0, dec)
            warm_up = n < WARM_UP
            if background is not None:
                found = sandbox.wait_running(background_key)
                if not found:
                    background_status = background.sequences.get().status
                    progress(f"the background sequence is not exposing ({background_status})")
                preempted += found and not warm_up
            sent = clock.now()
            acknowledged, answer = send_packet("127.0.0.1", port, data)
            if not acknowledged:
                raise RuntimeError(f"the broker refused the packet: {answer}")
            ivorn = f"ivo://nasa.gsfc.gcn/SWIFT#BAT_GRB_Pos_{trigger}-000"
            entry = _wait_for(ivorn)
            if sandbox is not None:
                slewed += _free_the_telescope(ivorn, sandbox) and not warm_up
            if warm_up:  # the agents' first night sky and connections
                continue
            for stage in STAGES:
                logged = AlertLog.objects.filter(ivorn=ivorn, step=STEP_OF[stage]).first()
                if logged is not None:
                    timings[stage].append((logged.at - sent).total_seconds() * 1000)
            planned += entry.message.startswith("plan #")
            progress(f"{'warm-up' if warm_up else n + 1 - WARM_UP}/{packets}: {entry.message}")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        if background is not None:
            cancel_request(background, "benchmark: over", actor=SYSTEM)
        if sandbox is not None:
            sandbox.close()  # with the images it took
            # Re-plans after the cancellations leave plans without the bench's requests.
            Schedule.objects.filter(pk__gt=last_schedule).delete()
        _clean(triggers, [scheduler, alerts])
        if background is not None:
            Schedule.objects.filter(entries__sequence__request=background).delete()
            background.delete()
    return AlertBench(
        database=connection.vendor, notifications=uses_notifications(), packets=packets,
        planned=planned, slewed=slewed, busy=busy, preempted=preempted,
        p50_ms={s: round(statistics.median(v), 1) for s, v in timings.items() if v},
        p99_ms={s: round(_percentile(v, 0.99), 1) for s, v in timings.items() if v})


BACKGROUND_HOURS = 1.0  # the sequence's length; its window is three times as long


def _background_request(ra: float, dec: float) -> Request:
    """A long sequence of the lowest priority, five degrees from the alerts, on the
    first channel of the unit, submitted now: what the telescope is doing when an alert
    comes. Its program is the strategy's, its owner the alerts' account."""
    from pyros.alerts.store import active_strategy, alert_user
    from pyros.alerts.strategy import load_strategy
    from pyros.observations import json_format
    from pyros.observations.store import create_request

    channel = active_config().channels[0]
    program = load_strategy(active_strategy().text).scientific_program
    now = clock.now()
    seconds = BACKGROUND_HOURS * 3600
    spec = json_format.spec_from_data({
        "name": "alert benchmark: the background", "scientific_program": program,
        "target_type": "test", "submitted": True,
        "sequences": [{
            "name": "background", "target": "background field", "ra": (ra + 5.0) % 360.0,
            "dec": dec, "start": now.isoformat(),
            "end": (now + timedelta(seconds=3 * seconds)).isoformat(), "duration": seconds,
            "priority": 1, "obs_type": "IMMEDIATE",
            "albums": [{"name": "background", "detector": channel.detector, "plans": [
                {"name": "background", "filter": channel.filters[0], "exposure": 60,
                 "nb_images": int(seconds // 120)}]}]}]})
    return create_request(spec, alert_user(program), actor=SYSTEM)


def _wait_listening(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"the benchmark's broker did not listen within {timeout:g} s")


def _wait_for(ivorn: str, timeout: float = 60.0) -> AlertLog:
    """The packet's last step: the plan answer, or its rejection."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        entry = AlertLog.objects.filter(ivorn=ivorn, step__in=[Step.PLAN, Step.REJECTED]) \
            .order_by("-at").first()
        if entry is not None:
            return entry
        time.sleep(0.005)
    raise RuntimeError(f"{ivorn} was not decided within {timeout:g} s")


def _free_the_telescope(ivorn: str, sandbox) -> bool:
    """Wait for the alert's slew, then cancel its request so that the majordome stops
    it and the next alert finds the telescope free. True if the slew was logged."""
    deadline = time.monotonic() + 30.0
    while not AlertLog.objects.filter(ivorn=ivorn, step=Step.SLEW).exists():
        if time.monotonic() > deadline:
            break
        time.sleep(0.005)
    packet = AlertPacket.objects.filter(ivorn=ivorn).select_related("request").first()
    if packet is not None and packet.request is not None and \
            packet.request.status != RequestStatus.CANCELLED:
        cancel_request(packet.request, "benchmark: the slew is measured",
                       actor=SYSTEM)
    if packet is not None and packet.request is not None:
        # Not idle: with a background sequence, the majordome may take it up at once.
        sandbox.wait_not_running({f"sequence-{pk}" for pk in
                                  packet.request.sequences.values_list("pk", flat=True)})
    return AlertLog.objects.filter(ivorn=ivorn, step=Step.SLEW).exists()


def _clean(triggers: range, agents: list[str]) -> None:
    keys = [f"Swift:{t}" for t in triggers]
    requests = Request.objects.filter(alert_packets__event__key__in=keys).distinct()
    Schedule.objects.filter(entries__sequence__request__in=requests).delete()
    request_ids = list(requests.values_list("pk", flat=True))
    AlertEvent.objects.filter(key__in=keys).delete()
    Request.objects.filter(pk__in=request_ids).delete()
    Command.objects.filter(recipient__in=agents).delete()
    Command.objects.filter(sender__in=agents).delete()
    AgentSurvey.objects.filter(name__in=agents).delete()
