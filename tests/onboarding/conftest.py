"""Cross-context tests of vendor onboarding (vendors, subscriptions, payments, auth).

They live here, outside the contexts, because they look at several contexts' tables
at once; the vendors context's own test fixtures are reused.
"""

from contexts.vendors.tests.conftest import _vendors_test_env, api, registered

__all__ = ["_vendors_test_env", "api", "registered"]
