"""Bounded contexts. Each is used by others only through its ``facade`` and ``events``."""
