"""Writes of the vendors context (vendors, stores, staff, logos, the onboarding saga)."""
