"""The orders context's facade."""
