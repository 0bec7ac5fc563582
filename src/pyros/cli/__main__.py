"""``python -m pyros.cli`` runs the ``pyros`` command."""

from pyros.cli.main import main

main()
