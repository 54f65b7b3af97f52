"""The orders context's selectors."""
