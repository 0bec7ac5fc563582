"""The eight user profiles of the PyROS guide (section 13.12.1.1), lowest rank first."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ProfileLevel(IntEnum):
    VISITOR = 0
    TAC = 1
    OBSERVER = 2
    IE_IS = 3
    OPERATOR = 4
    SUPEROPERATOR = 5
    PI = 6
    SYSADMIN = 7


@dataclass(frozen=True)
class ProfileInfo:
    level: ProfileLevel
    name: str
    description: str


PROFILES: tuple[ProfileInfo, ...] = (
    ProfileInfo(ProfileLevel.VISITOR, "Visitor",
                "Anyone: weather, observatory status, webcams, alerts, schedule."),
    ProfileInfo(ProfileLevel.TAC, "TAC",
                "Time allocation committee: reads and votes on proposals."),
    ProfileInfo(ProfileLevel.OBSERVER, "Observer",
                "Astronomer: proposals, requests and images of their programs."),
    ProfileInfo(ProfileLevel.IE_IS, "IE/IS",
                "Engineer: operating mode, telescope and instrument control."),
    ProfileInfo(ProfileLevel.OPERATOR, "Operator",
                "Local operator: night ACK, PLC bypass, operating mode."),
    ProfileInfo(ProfileLevel.SUPEROPERATOR, "Superoperator",
                "Operator who also edits the configuration."),
    ProfileInfo(ProfileLevel.PI, "PI",
                "Principal investigator: users, proposals, priorities and quotas."),
    ProfileInfo(ProfileLevel.SYSADMIN, "SysAdmin", "Every right."),
)
