"""The ``pyros`` command: one entry point for everything an operator does.

Each sub-module holds one group of sub-commands; Django is set up lazily, only by the
commands that need the database, so ``pyros --help`` and ``pyros config check`` stay fast.
"""
