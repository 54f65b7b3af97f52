"""Cross-context order tests (orders, vendors stock, payments, auth): races with real
commits, and the purchase end to end over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support import orders as support


@pytest.fixture(autouse=True)
def _orders_test_env(settings: Any, tmp_path: Path) -> None:
    support.apply_test_settings(settings, tmp_path)
