"""Races with real commits, each thread on its own database connection: a plan limit is
never overrun, and one Idempotency-Key never registers twice."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import close_old_connections, connection

from bazaar_platform.api.errors import ApplicationError
from contexts.subscriptions.models import Subscription
from contexts.subscriptions.services.plans import plan_ensure_defaults
from contexts.vendors.models import Onboarding, Store, Vendor
from contexts.vendors.services.onboarding import RegistrationRequest, vendor_register
from contexts.vendors.services.stores import store_create
from contexts.vendors.services.vendors import StoreInput
from contexts.vendors.tests import support

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Start the calls together on separate threads (and connections); their outcomes."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    close_old_connections()
    return results


def _request(email: str, slug: str, plan: str = "free") -> RegistrationRequest:
    return RegistrationRequest(
        legal_name="Race Ltd",
        plan_code=plan,
        store=StoreInput(name="Race", slug=slug, currency="EUR"),
        email=email,
        full_name="Rita Race",
        password=support.PASSWORD,
    )


def test_two_stores_created_at_once_cannot_overrun_the_plan(settings):
    plan_ensure_defaults()
    tag = uuid.uuid4().hex[:8]
    outcome = vendor_register(
        idempotency_key=str(uuid.uuid4()),
        request=_request(f"{tag}@example.test", f"race-{tag}", plan="growth"),
        principal_user_id=None,
    )
    vendor_id = uuid.UUID(outcome.body["vendor"]["id"])
    Vendor.objects.filter(pk=vendor_id).update(status="active")
    Store.objects.create(vendor_id=vendor_id, name="Second", slug=f"second-{tag}", currency="EUR")
    results = race(
        *(
            lambda n=n: store_create(
                vendor_id=vendor_id,
                data=StoreInput(name=f"Third {n}", slug=f"third-{tag}-{n}", currency="EUR"),
            )
            for n in range(4)
        )
    )
    created = [r for r in results if isinstance(r, Store)]
    refused = [r for r in results if isinstance(r, ApplicationError)]
    assert len(created) == 1, results
    assert len(refused) == 3
    assert {r.code for r in refused} == {"plan_limit_reached"}
    assert Store.objects.filter(vendor_id=vendor_id).count() == 3


def test_one_key_sent_twice_at_once_registers_once():
    plan_ensure_defaults()
    tag = uuid.uuid4().hex[:8]
    request = _request(f"{tag}@example.test", f"twin-{tag}")
    key = str(uuid.uuid4())
    results = race(
        *(
            lambda: vendor_register(idempotency_key=key, request=request, principal_user_id=None)
            for _ in range(3)
        )
    )
    done = [r for r in results if not isinstance(r, Exception)]
    waiting = [r for r in results if isinstance(r, ApplicationError)]
    assert done, results
    assert all(r.code == "request_in_progress" for r in waiting), results
    assert len({str(r.body["vendor"]["id"]) for r in done}) == 1
    assert Vendor.objects.count() == 1
    assert Subscription.objects.count() == 1
    assert Onboarding.objects.get(idempotency_key=key).status == "completed"
