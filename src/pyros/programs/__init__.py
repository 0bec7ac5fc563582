"""Scientific programs, their six-month periods and the time allocated to each.

Depends on ``accounts`` (PI and members are users).
"""
