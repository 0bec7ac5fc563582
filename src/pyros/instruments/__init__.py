"""Device status in the database and the Telescope & Instruments and Cameras pages.

``models`` keeps each device's last status (DeviceState), its history with a retention
policy (DeviceStatusHistory) and the observatory's operating mode (OperatingMode);
``store`` is the one place that writes them; ``agent`` is the "devices" agent, which
polls every device of the unit, writes their status and camera previews
(``previews``), and executes the remote-control commands when the mode is REMOTE;
``views`` and ``api`` show it all and send those commands. Agents and pages never
share memory: the database between them is the whole contract.

May import config, clock, paths, accounts, agents (bus, base class) and devices.
"""
