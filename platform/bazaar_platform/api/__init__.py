"""The shared API kit: envelope, errors, pagination, strict query parameters."""
