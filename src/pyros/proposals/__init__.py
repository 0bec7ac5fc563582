"""Proposals and the TAC: a call per six-month period, proposals from observers, the
TAC's votes, and the PI's decision, which turns an accepted proposal into a scientific
program with its allocation (docs/people.md, "Proposals and the TAC")."""
