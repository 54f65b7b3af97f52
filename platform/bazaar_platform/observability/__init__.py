"""Structured logs, traces and metrics: one format for web, worker and consumer processes."""
