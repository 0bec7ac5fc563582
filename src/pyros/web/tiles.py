"""The home page: one tile per function of the dashboard, shown to the profiles that
may see it (the rights matrix). Tiles of functions not built yet say so."""

from __future__ import annotations

from dataclasses import dataclass

from pyros.accounts.rights import Access, access


@dataclass(frozen=True)
class Tile:
    title: str
    right: str
    description: str
    url_name: str | None  # None: the function is not built yet
    #: (label, url name) of the function's other pages, shown under its description
    more: tuple[tuple[str, str], ...] = ()


TILES: tuple[Tile, ...] = (
    Tile("Weather", "weather", "Current conditions and their history.",
         "monitoring:weather"),
    Tile("Observatory", "observatory", "Site status, safety, PLC and operating mode.",
         "monitoring:observatory"),
    Tile("Webcams", "webcams", "The site's cameras, or the simulated all-sky camera.",
         "monitoring:webcams"),
    Tile("Telescope & Instruments", "telescope", "Mount, dome, focuser status and control.",
         "instruments:telescope"),
    Tile("Cameras", "cameras", "Channels, filters, cooling, exposures.",
         "instruments:cameras"),
    Tile("Proposals", "proposals", "Scientific programs, TAC votes, quotas.",
         "proposals:list"),
    Tile("Requests", "requests", "Observation requests: build, import, submit, follow.",
         "observations:request-list"),
    Tile("Alerts", "alerts", "Gamma-ray bursts and other transients received.",
         "alerts:alert-list"),
    Tile("Schedule", "schedule", "Tonight's plan and its history.", "scheduling:schedule"),
    Tile("Images", "images", "Images taken, their quality and archive.", "analysis:nights",
         more=(("Each night", "analysis:nights"), ("Archive", "archive:list"))),
    Tile("System", "system", "Agents, commands and logs.", "agents:system"),
    Tile("Config", "config", "The unit configuration: by section, edited, versioned.",
         "configpage:config", more=(("Versions", "configpage:versions"),)),
    Tile("Users", "users", "Accounts, profiles, activation.", "users:user-list"),
)


def visible_tiles(level: int) -> list[Tile]:
    return [t for t in TILES if access(level, t.right) >= Access.READ]
