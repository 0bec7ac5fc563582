"""The filter wheel and the focuser over Alpaca.

Filters are known by the names the driver holds (``Names``), as with INDI; a wheel
reports ``Position`` -1 while it turns. An absolute focuser moves to a step
(``Move(Position)``) within ``0..MaxStep``; a relative one (``Absolute`` False) moves by
steps, and its position is counted here from where it was when PyROS connected.
"""

from __future__ import annotations

from pyros import clock
from pyros.devices.alpaca.base import AlpacaDevice, Deadline
from pyros.devices.alpaca.client import AlpacaLink
from pyros.devices.errors import DeviceRefused
from pyros.devices.interfaces import (
    FilterWheel,
    FilterWheelStatus,
    Focuser,
    FocuserStatus,
)


class AlpacaFilterWheel(AlpacaDevice, FilterWheel):
    def __init__(self, name: str, link: AlpacaLink) -> None:
        super().__init__(name)
        self._init_link(link)
        self._names: list[str] | None = None

    def _setup(self, timeout: float) -> None:
        names = self.link.get("names", timeout)
        self._names = [str(n) for n in names] if isinstance(names, list) else []

    @property
    def filters(self) -> list[str]:
        if self._names is None:
            self.connect(10.0)
        return list(self._names or [])

    def status(self, timeout: float = 5.0) -> FilterWheelStatus:
        names = self.filters
        position = int(self.link.state(("Position",), timeout)["Position"])
        return FilterWheelStatus(connected=True, position=position,
                                 filter=names[position] if 0 <= position < len(names) else "",
                                 moving=position < 0, time=clock.now())

    def set_filter(self, name: str, *, wait: bool = True, timeout: float = 60.0) -> None:
        names = self.filters
        if name not in names:
            raise DeviceRefused(self.name, f"no filter {name!r} (filters: {', '.join(names)})")
        deadline = Deadline(timeout)
        slot = names.index(name)
        started = self._aborts
        self.link.put("position", deadline.left(), Position=slot)
        if wait:
            self._wait(lambda: self.link.get("position", deadline.left()) == slot,
                       deadline.left(), "the filter change", started)


class AlpacaFocuser(AlpacaDevice, Focuser):
    def __init__(self, name: str, link: AlpacaLink) -> None:
        super().__init__(name)
        self._init_link(link)
        self._absolute: bool | None = None
        self._max_step = 0
        self._counted = 0  # a relative focuser's position, counted from the connection

    def _setup(self, timeout: float) -> None:
        deadline = Deadline(timeout)
        self._absolute = bool(self.link.get("absolute", deadline.left()))
        self._max_step = int(self.link.get("maxstep", deadline.left()))

    def _ensure(self, timeout: float) -> None:
        if self._absolute is None:
            self.connect(timeout)

    def status(self, timeout: float = 5.0) -> FocuserStatus:
        self._ensure(timeout)
        if not self._absolute:
            moving = bool(self.link.get("ismoving", timeout))
            return FocuserStatus(connected=True, position=self._counted, moving=moving,
                                 time=clock.now())
        values = self.link.state(("Position", "IsMoving"), timeout)
        return FocuserStatus(connected=True, position=int(values["Position"]),
                             moving=bool(values["IsMoving"]), time=clock.now())

    def move_to(self, position: int, *, wait: bool = True, timeout: float = 120.0) -> None:
        deadline = Deadline(timeout)
        self._ensure(deadline.left())
        if not self._absolute:
            self.move_by(position - self._counted, wait=wait, timeout=deadline.left())
            return
        if not 0 <= position <= self._max_step:
            raise DeviceRefused(self.name, f"focus position {position} is outside "
                                           f"0..{self._max_step}")
        self._move(position, wait, deadline)

    def move_by(self, steps: int, *, wait: bool = True, timeout: float = 120.0) -> None:
        deadline = Deadline(timeout)
        self._ensure(deadline.left())
        if self._absolute:
            super().move_by(steps, wait=wait, timeout=deadline.left())
            return
        if steps == 0:
            return
        self._move(steps, wait, deadline)
        self._counted += steps

    def _move(self, value: int, wait: bool, deadline: Deadline) -> None:
        started = self._aborts
        self.link.put("move", deadline.left(), Position=int(value))
        if wait:
            self._wait(lambda: not self.link.get("ismoving", deadline.left()),
                       deadline.left(), "the focus move", started)
