"""Bazaar's platform layer: what every bounded context shares.

Event bus, token verification, the API kit, observability and settings helpers.
This package never imports from ``contexts``; import-linter enforces it.
"""
