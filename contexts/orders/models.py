"""Persistence of the orders context."""
