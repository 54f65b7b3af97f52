"""The orders context's services."""
