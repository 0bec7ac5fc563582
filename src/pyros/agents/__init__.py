"""Agents: long-running processes that do routine work and execute commands sent to them
through the database, plus the supervisor that keeps them running.

``states`` and ``calc`` are plain Python; ``models`` stores heartbeats, commands and
logs; ``bus`` sends, claims and finishes commands; ``notify`` wakes waiters (PostgreSQL
LISTEN/NOTIFY, short polling elsewhere); ``agent`` is the base class; ``supervisor``
starts, restarts and stops them. Agents talk only through commands, never by importing
each other. Depends on ``config`` and ``clock``.
"""
