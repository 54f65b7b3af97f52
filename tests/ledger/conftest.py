"""Orders to ledger through the real services of every context involved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support import orders as support
from tests.support.subscriptions import ensure_plans


@pytest.fixture(autouse=True)
def _ledger_flow_env(settings: Any, tmp_path: Path, db: Any) -> None:
    support.apply_test_settings(settings, tmp_path)
    ensure_plans()
