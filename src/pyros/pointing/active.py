"""The model in force, as a small JSON file in the data directory
(``PYROS_HOME/pointing/model.json``): the store writes it when a fit is adopted, the
devices' correction layer reads it (again whenever it changes), so every process that
slews the mount applies the same model without asking the database."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from pyros import paths
from pyros.pointing.model import PointingModel

log = logging.getLogger(__name__)


def model_file() -> Path:
    return paths.data_dir() / "pointing" / "model.json"


def write_active(model: PointingModel | None) -> Path:
    """Put ``model`` in force (None: no correction), atomically."""
    path = model_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    body = None if model is None else {"coefficients": model.coefficients,
                                       "latitude": model.latitude, "label": model.label}
    partial = path.with_name(path.name + ".part")
    partial.write_text(json.dumps(body))
    os.replace(partial, path)
    return path


def read_active(path: Path | None = None) -> PointingModel | None:
    """The model in force, or None (no file, none adopted). A broken file is logged and
    read as no model: the mount keeps pointing uncorrected rather than stop."""
    path = path or model_file()
    try:
        body = json.loads(path.read_text())
        if body is None:
            return None
        return PointingModel({str(k): float(v) for k, v in body["coefficients"].items()},
                             float(body["latitude"]), str(body.get("label", "")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.error("pointing model %s unreadable, slews uncorrected: %s", path, exc)
        return None


class ActiveModel:
    """The file's model, read again when the file changes (its modification time)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or model_file()
        self._stamp: float | None = None
        self._model: PointingModel | None = None

    def __call__(self) -> PointingModel | None:
        try:
            stamp = self.path.stat().st_mtime_ns
        except OSError:
            self._stamp, self._model = None, None
            return None
        if stamp != self._stamp:
            self._stamp, self._model = stamp, read_active(self.path)
        return self._model
