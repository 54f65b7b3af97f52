"""Social log-in: providers (``providers``) and the log-in/link flow (``flow``)."""
