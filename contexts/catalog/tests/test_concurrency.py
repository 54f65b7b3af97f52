"""Concurrent writers on real PostgreSQL row locks (committed transactions)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from bazaar_platform.api.errors import ConflictError
from contexts.catalog import services
from contexts.catalog.models import Category
from contexts.catalog.tests.factories import CategoryFactory

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks: the test profile's PostgreSQL"
    ),
]


def _wait_for_a_lock_waiter(timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    with connections["default"].cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)
    raise AssertionError("the second writer never waited for the first one's lock")


def test_crossing_category_moves_cannot_create_a_cycle():
    a = CategoryFactory.create(name="A")
    b = CategoryFactory.create(name="B")
    first_moved = threading.Event()
    release = threading.Event()
    outcome: dict[str, object] = {}

    def move_a_under_b() -> None:
        try:
            with transaction.atomic():
                services.category_update(category_id=a.pk, parent_id=b.pk)
                first_moved.set()
                release.wait(10)
        finally:
            connection.close()

    def move_b_under_a() -> None:
        try:
            services.category_update(category_id=b.pk, parent_id=a.pk)
            outcome["second"] = "moved"
        except ConflictError as exc:
            outcome["second"] = exc.code
        finally:
            connection.close()

    first = threading.Thread(target=move_a_under_b)
    first.start()
    assert first_moved.wait(10)
    second = threading.Thread(target=move_b_under_a)
    second.start()
    _wait_for_a_lock_waiter()
    release.set()
    first.join(10)
    second.join(10)

    assert outcome["second"] == "category_cycle"
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.parent_id, b.parent_id) == (b.pk, None)
    assert a.path == f"{b.id.hex}/{a.id.hex}/"
    assert Category.objects.get(pk=b.pk).depth == 0
