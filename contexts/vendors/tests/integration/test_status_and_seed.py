"""The vendor's status follows subscription events; staff suspension; the demo seed."""

from __future__ import annotations

import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from bazaar_platform.events.models import DeadLetter
from contexts.auth import facade as auth
from contexts.subscriptions import facade as subscriptions
from contexts.subscriptions.events import (
    PlanChanged,
    SubscriptionActivated,
    SubscriptionCancelled,
    SubscriptionExpired,
)
from contexts.vendors import facade
from contexts.vendors.models import Listing, Onboarding, Store, Vendor, VendorMember
from contexts.vendors.tests import support

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def deliver(event) -> None:
    from django.db import transaction

    from bazaar_platform.events import publish

    with support.committed(), transaction.atomic():
        publish(event)


def test_subscription_events_drive_the_vendor_status(registered):
    result, _ = registered(plan="growth")
    vendor_id = uuid.UUID(result["vendor"]["id"])
    sub_id = uuid.UUID(result["subscription"]["id"])
    assert facade.vendor_is_active(vendor_id=vendor_id)
    deliver(SubscriptionExpired(subscription_id=sub_id, vendor_id=vendor_id, plan_code="growth"))
    vendor = Vendor.objects.get(pk=vendor_id)
    assert (vendor.status, vendor.status_reason) == ("suspended", "subscription_expired")
    deliver(
        SubscriptionActivated(
            subscription_id=sub_id,
            vendor_id=vendor_id,
            plan_code="growth",
            current_period_end=None,
            reactivated=True,
        )
    )
    assert facade.vendor_is_active(vendor_id=vendor_id)
    deliver(
        SubscriptionCancelled(
            subscription_id=sub_id, vendor_id=vendor_id, plan_code="growth", reason="vendor_request"
        )
    )
    assert Vendor.objects.get(pk=vendor_id).status_reason == "subscription_cancelled"


def test_events_for_unknown_vendors_are_ignored():
    ghost = uuid.uuid4()
    events = (
        SubscriptionActivated(
            subscription_id=uuid.uuid4(),
            vendor_id=ghost,
            plan_code="free",
            current_period_end=None,
            reactivated=False,
        ),
        SubscriptionExpired(subscription_id=uuid.uuid4(), vendor_id=ghost, plan_code="free"),
        PlanChanged(
            subscription_id=uuid.uuid4(),
            vendor_id=ghost,
            old_plan_code="free",
            new_plan_code="pro",
            direction="upgrade",
        ),
    )
    for event in events:
        deliver(event)
    # only these events: a consumer process of another test on this worker may still be
    # writing its own dead letters into the same database
    dead = DeadLetter.objects.filter(event_id__in=[e.event_id for e in events])
    assert list(dead.values_list("event_type", "handler", "error")) == []
    assert not Vendor.objects.filter(pk=ghost).exists()


def test_a_staff_suspension_is_not_lifted_by_a_payment(api, registered):
    result, headers = registered(plan="growth")
    vendor_id = result["vendor"]["id"]
    email = f"{support.unique('adm')}@example.test"
    admin_id = auth.user_create_or_get(email=email, full_name="Ada", password=support.PASSWORD)
    auth.role_grant(user_id=admin_id, role="admin")
    admin = support.login(api, email)
    suspended = api.post(f"/api/v1/vendors/admin/vendors/{vendor_id}/suspend", **admin)
    assert support.data(suspended)["status"] == "suspended"
    deliver(
        SubscriptionActivated(
            subscription_id=uuid.UUID(result["subscription"]["id"]),
            vendor_id=uuid.UUID(vendor_id),
            plan_code="growth",
            current_period_end=None,
            reactivated=True,
        )
    )
    assert Vendor.objects.get(pk=vendor_id).status == "suspended"
    listed = support.data(api.get("/api/v1/vendors/admin/vendors?status=suspended", **admin))
    assert [v["id"] for v in listed] == [vendor_id]
    reinstated = api.post(f"/api/v1/vendors/admin/vendors/{vendor_id}/reinstate", **admin)
    assert support.data(reinstated)["status"] == "active"
    assert api.get("/api/v1/vendors/admin/vendors", **headers).status_code == 403


def test_the_stale_lease_sweep_marks_dead_requests_interrupted():
    from datetime import timedelta

    from django.utils import timezone

    from contexts.vendors.tasks import vendors_onboarding_stale_leases_release

    stale = Onboarding.objects.create(
        idempotency_key=str(uuid.uuid4()),
        request_hash="h",
        email="x@example.test",
        plan_code="free",
        lease_until=timezone.now() - timedelta(seconds=1),
    )
    live = Onboarding.objects.create(
        idempotency_key=str(uuid.uuid4()),
        request_hash="h",
        email="y@example.test",
        plan_code="free",
        lease_until=timezone.now() + timedelta(minutes=1),
    )
    assert vendors_onboarding_stale_leases_release.apply().get() == 1
    stale.refresh_from_db()
    live.refresh_from_db()
    assert (stale.status, live.status) == ("interrupted", "in_progress")


def test_seed_demo_gives_vendors_stores_on_different_plans_idempotently():
    out = StringIO()
    with support.committed():
        call_command("seed_demo", stdout=out, stderr=StringIO(), quiet_progress=True)
    counts = (Vendor.objects.count(), Store.objects.count(), VendorMember.objects.count())
    assert counts == (5, 8, 5)
    vera = VendorMember.objects.get(email="vendor@bazaar.local")
    sub = subscriptions.subscription_for_vendor(vendor_id=vera.vendor_id)
    assert sub is not None
    assert (sub.plan_code, sub.status) == ("growth", "active")
    assert vera.vendor.status == "active"
    plans = {
        m.email: subscriptions.subscription_for_vendor(vendor_id=m.vendor_id)
        for m in VendorMember.objects.all()
    }
    assert {s.plan_code for s in plans.values() if s} == {"free", "growth", "pro"}
    assert plans["pending.pottery@bazaar.local"].status == "pending_payment"
    assert Vendor.objects.get(members__email="pending.pottery@bazaar.local").status == "pending"
    assert "nordic.knits@bazaar.local" in out.getvalue()
    # listings: several stores (and currencies) compete on the same variants, with stock
    listings = Listing.objects.count()
    assert listings > 100
    competed = (
        Listing.objects.values("variant_id")
        .annotate(stores=Count("store", distinct=True))
        .filter(stores__gte=2)
        .count()
    )
    assert competed >= 20
    assert set(Listing.objects.values_list("currency", flat=True)) == {"EUR", "GBP", "USD"}
    assert not Listing.objects.filter(vendor__status="pending").exists()
    free = VendorMember.objects.get(email="nordic.knits@bazaar.local").vendor_id
    free_limit = next(
        u.limit for u in subscriptions.usage_for(vendor_id=free) if u.resource == "products"
    )
    assert Listing.objects.filter(vendor_id=free).values("product_id").distinct().count() <= (
        free_limit
    )
    for vendor_id in set(Listing.objects.values_list("vendor_id", flat=True)):
        used = next(
            u.used for u in subscriptions.usage_for(vendor_id=vendor_id) if u.resource == "products"
        )
        listed = Listing.objects.filter(vendor_id=vendor_id).values("product_id").distinct()
        assert used == listed.count() > 0
    with support.committed():
        call_command("seed_demo", stdout=StringIO(), stderr=StringIO(), quiet_progress=True)
    assert (Vendor.objects.count(), Store.objects.count(), VendorMember.objects.count()) == counts
    assert Listing.objects.count() == listings
