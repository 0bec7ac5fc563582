"""The demo's own data directory: its SQLite database, images, logs and configuration,
in a temporary folder (removed at the end) or the folder ``--keep`` names. The user's
data directory, configuration and database are never opened: the environment the demo
runs in (this process's and its children's) names only the sandbox."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pyros import paths
from pyros.simulators.thread import edit_settings, example_on_free_ports

#: Wall seconds the agents' time limits get at any speed: at 60x, the example's 60 s of
#: the clock would be one wall second, and a loaded machine stalls longer than that.
WALL_MARGIN = 10.0
#: Frames of 1,280² (40 % of the example's pixels): rendered and analysed while the
#: night runs at 60x on a small machine, and a field (8.1') that tiles an SVOM ECLAIRs
#: error circle in the strategy's nine pointings, the first on the burst.
FRAME_SIDE = 1280
ADMIN_PASSWORD = "demo-night"
#: The monitoring reads the PLC every 2 wall seconds (the example: 5), so that at 60× the
#: rain is seen within two minutes of the night, not five.
MONITORING = "\n[monitoring]\nperiod = 2.0\n"
#: The burst's afterglow a minute after it (the example: 16): a bright one, still seen in
#: the first 10 s frames of a follow-up that a loaded machine delays by minutes.
AFTERGLOW_MAGNITUDE = 14.0
#: What marks a folder as a demo's, so that --keep never writes into anything else.
MARKER = ".pyros-demo"


class SandboxError(ValueError):
    """A --keep folder the demo may not use, with why."""


@dataclass
class Sandbox:
    home: Path
    temporary: bool

    @property
    def config(self) -> Path:
        return self.home / "unit.toml"

    @property
    def database(self) -> Path:
        return self.home / "pyros.sqlite3"

    def environment(self) -> dict[str, str]:
        """The variables that point PyROS at the sandbox, and nothing else."""
        return {"PYROS_HOME": str(self.home), "PYROS_CONFIG": str(self.config),
                "DATABASE_URL": f"sqlite:///{self.database}"}

    def enter(self) -> None:
        """Point this process (and what it starts) at the sandbox, before Django is set
        up: the user's run clock (a `pyros start --sim-time` of theirs) is dropped too."""
        for variable in ("PYROS_CLOCK_START", "PYROS_CLOCK_EPOCH", "PYROS_CLOCK_SPEED"):
            os.environ.pop(variable, None)
        os.environ.update(self.environment())

    def remove(self) -> None:
        if self.temporary:
            shutil.rmtree(self.home, ignore_errors=True)


def make_sandbox(keep: Path | None) -> Sandbox:
    """A fresh data directory: ``keep`` (missing or empty, and not the user's data
    directory), else a new temporary folder."""
    if keep is None:
        home = Path(tempfile.mkdtemp(prefix="pyros-demo-"))
        temporary = True
    else:
        home, temporary = keep.expanduser().resolve(), False
        if home == paths.data_dir():
            raise SandboxError(f"{home} is PyROS's data directory: the demo keeps its night "
                               "in a folder of its own")
        if home.exists() and (not home.is_dir() or any(home.iterdir())):
            raise SandboxError(f"{home} is not an empty folder: give --keep a new one")
        home.mkdir(parents=True, exist_ok=True)
    home.chmod(paths.PRIVATE_DIR_MODE)
    (home / MARKER).write_text("a night of `pyros demo`\n")
    # `pyros start --sim-time` writes a simulated night only into a marked sandbox.
    paths.mark_sandbox(home)
    return Sandbox(home, temporary)


def unit_text(speed: float) -> str:
    """The example unit on free ports, made for a night at ``speed``: time limits of at
    least ``WALL_MARGIN`` wall seconds (stale sensors, the devices' answers; the devices'
    watchdog counts wall seconds already), a safe delay of ten minutes after the rain,
    smaller frames, the monitoring's period (wall seconds) shorter."""
    margin = max(60.0, WALL_MARGIN * speed)
    text = example_on_free_ports() + MONITORING
    return edit_settings(text, (
        ("safe_delay = 900.0", "safe_delay = 600.0"),
        ("stale_after = 60.0", f"stale_after = {margin:g}"),
        ("status_timeout = 2.0", "status_timeout = 10.0"),
        ("simulated_afterglow_magnitude = 16.0", f"simulated_afterglow_magnitude = "
                                                 f"{AFTERGLOW_MAGNITUDE:g}"),
        ("width = 2048", f"width = {FRAME_SIDE}"), ("height = 2048", f"height = {FRAME_SIDE}")))
