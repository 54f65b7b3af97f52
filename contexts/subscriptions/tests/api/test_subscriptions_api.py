"""The subscriptions API, and the vendor's status following its subscription."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from contexts.auth import facade as auth
from contexts.subscriptions.models import Subscription
from contexts.subscriptions.services import billing
from contexts.subscriptions.tests import support
from contexts.vendors import facade as vendors

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def admin(api):
    email = f"admin-{uuid.uuid4().hex[:8]}@example.test"
    user_id = auth.user_create_or_get(email=email, full_name="Ada", password=support.PASSWORD)
    auth.role_grant(user_id=user_id, role="admin")
    login = api.post(
        "/api/v1/auth/login", {"email": email, "password": support.PASSWORD}, format="json"
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {login.json()['data']['access_token']}"}


def paid(api, plan: str = "growth") -> dict:
    vendor = support.register(api, plan=plan)
    if vendor["payment"] is not None:
        support.deliver(support.succeeded(uuid.UUID(vendor["payment"]["payment_id"])))
    return vendor


def test_plans_are_public_with_prices_and_limits(api):
    response = api.get("/api/v1/subscriptions/plans")
    assert response.status_code == 200
    plans = {p["code"]: p for p in response.json()["data"]}
    assert list(plans)[:3] == ["free", "growth", "pro"]
    assert plans["growth"]["prices"] == {"EUR": 2900, "GBP": 2500, "USD": 3200}
    assert plans["growth"]["limits"] == {
        "products": 1000,
        "stores": 3,
        "staff_seats": 5,
        "api_requests_per_minute": 300,
    }
    assert api.get("/api/v1/subscriptions/plans?tier=gold").status_code == 400


def test_staff_create_and_edit_plans_and_bad_values_are_400(api, admin):
    created = api.post(
        "/api/v1/subscriptions/plans/create",
        {
            "code": "enterprise",
            "name": "Enterprise",
            "billing_period": "year",
            "max_products": 100000,
            "max_stores": 50,
            "max_staff_seats": 100,
            "api_requests_per_minute": 6000,
            "prices": {"EUR": 990000, "USD": 1090000},
        },
        format="json",
        **admin,
    )
    assert created.status_code == 201, created.content
    assert created.json()["data"]["prices"] == {"EUR": 990000, "USD": 1090000}
    dup = api.post(
        "/api/v1/subscriptions/plans/create",
        {
            "code": "enterprise",
            "name": "Again",
            "max_products": 1,
            "max_stores": 1,
            "max_staff_seats": 1,
            "api_requests_per_minute": 1,
            "prices": {"EUR": 1},
        },
        format="json",
        **admin,
    )
    assert (dup.status_code, dup.json()["error"]["code"]) == (409, "plan_exists")
    bad_values = [
        {"prices": {"EUR": -100}},
        {"prices": {"EUR": 10**13}},
        {"prices": {"EURO": 100}},
        {"prices": {"EUR": "29.00"}},
        {"prices": {}},
        {"max_stores": 0},
        {"max_products": -5},
        {"api_requests_per_minute": 10**9},
        {"trial_days": 400},
        {"billing_period": "weekly"},
        {"commission_rate_bp": -1},
        {"commission_rate_bp": 10_001},
        {"commission_rate_bp": "10%"},
        {"colour": "gold"},
    ]
    for change in bad_values:
        response = api.patch(
            "/api/v1/subscriptions/plans/enterprise/update", change, format="json", **admin
        )
        assert response.status_code == 400, (change, response.content)
        assert response.json()["error"]["code"] == "validation_error"
    edited = api.patch(
        "/api/v1/subscriptions/plans/enterprise/update",
        {"max_stores": 60, "prices": {"EUR": 880000}, "commission_rate_bp": 250},
        format="json",
        **admin,
    )
    assert edited.json()["data"]["limits"]["stores"] == 60
    assert edited.json()["data"]["commission_rate_bp"] == 250
    assert edited.json()["data"]["prices"] == {"EUR": 880000}
    missing = api.patch(
        "/api/v1/subscriptions/plans/nope/update", {"max_stores": 2}, format="json", **admin
    )
    assert missing.status_code == 404


def test_a_vendor_sees_its_subscription_charges_and_usage(api):
    vendor = paid(api)
    headers = vendor["headers"]
    current = api.get("/api/v1/subscriptions/current", **headers).json()["data"]
    assert (current["id"], current["plan"], current["status"]) == (
        vendor["subscription"]["id"],
        "growth",
        "active",
    )
    charges = api.get(f"/api/v1/subscriptions/{current['id']}/charges", **headers).json()["data"]
    assert [(c["kind"], c["status"], c["amount_minor"]) for c in charges] == [
        ("initial", "paid", 2900)
    ]
    usage = api.get("/api/v1/subscriptions/usage", **headers).json()["data"]
    assert usage["plan"] == "growth"
    assert {r["resource"]: (r["used"], r["limit"]) for r in usage["resources"]} == {
        "products": (0, 1000),
        "stores": (1, 3),
        "staff_seats": (1, 5),
    }
    nothing = api.post(f"/api/v1/subscriptions/{current['id']}/checkout", **headers)
    assert (nothing.status_code, nothing.json()["error"]["code"]) == (409, "nothing_to_pay")


def test_an_unpaid_registration_can_get_its_link_again(api):
    vendor = support.register(api)
    sub_id = vendor["subscription"]["id"]
    again = api.post(f"/api/v1/subscriptions/{sub_id}/checkout", **vendor["headers"])
    assert again.status_code == 200
    assert again.json()["data"]["payment_id"] == vendor["payment"]["payment_id"]


def test_upgrade_through_the_api_returns_a_payment_link(api):
    vendor = paid(api)
    sub_id = vendor["subscription"]["id"]
    response = api.post(
        f"/api/v1/subscriptions/{sub_id}/change-plan",
        {"plan": "pro"},
        format="json",
        **vendor["headers"],
    )
    body = response.json()["data"]
    assert (body["direction"], body["applied"]) == ("upgrade", False)
    assert 0 < body["amount_minor"] <= 7000
    assert body["payment"]["amount_minor"] == body["amount_minor"]
    support.deliver(support.succeeded(uuid.UUID(body["payment"]["payment_id"])))
    current = api.get("/api/v1/subscriptions/current", **vendor["headers"]).json()["data"]
    assert current["plan"] == "pro"
    bad = api.post(
        f"/api/v1/subscriptions/{sub_id}/change-plan",
        {"plan": "Gold!"},
        format="json",
        **vendor["headers"],
    )
    assert bad.status_code == 400


def test_cancel_then_resume_through_the_api(api):
    vendor = paid(api)
    sub_id = vendor["subscription"]["id"]
    cancelled = api.post(f"/api/v1/subscriptions/{sub_id}/cancel", **vendor["headers"]).json()[
        "data"
    ]
    assert (cancelled["status"], cancelled["cancel_at_period_end"]) == ("active", True)
    resumed = api.post(f"/api/v1/subscriptions/{sub_id}/resume", **vendor["headers"]).json()["data"]
    assert resumed["cancel_at_period_end"] is False
    again = api.post(f"/api/v1/subscriptions/{sub_id}/resume", **vendor["headers"])
    assert (again.status_code, again.json()["error"]["code"]) == (409, "nothing_to_resume")


def test_only_the_owner_manages_billing(api):
    vendor = paid(api)
    email = f"staff-{uuid.uuid4().hex[:8]}@example.test"
    added = api.post(
        "/api/v1/vendors/staff/add",
        {"email": email, "role": "manager"},
        format="json",
        **vendor["headers"],
    )
    assert added.status_code == 201
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(email=email)
    user.set_password(support.PASSWORD)
    user.save()
    login = api.post(
        "/api/v1/auth/login", {"email": email, "password": support.PASSWORD}, format="json"
    )
    manager = {"HTTP_AUTHORIZATION": f"Bearer {login.json()['data']['access_token']}"}
    sub_id = vendor["subscription"]["id"]
    assert api.get(f"/api/v1/subscriptions/{sub_id}", **manager).status_code == 200
    refused = api.post(f"/api/v1/subscriptions/{sub_id}/cancel", **manager)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "vendor_role_required")


def test_the_vendor_follows_its_subscription(api, settings):
    settings.SUBSCRIPTIONS_GRACE_DAYS = 1
    vendor = paid(api)
    vendor_id = uuid.UUID(vendor["vendor"]["id"])
    assert vendors.vendor_is_active(vendor_id=vendor_id)
    sub = Subscription.objects.get(pk=vendor["subscription"]["id"])
    end = sub.current_period_end
    with support.committed():
        billing.billing_run(now=end + timedelta(seconds=1))
    assert vendors.vendor_is_active(vendor_id=vendor_id), "past due: still working (grace)"
    with support.committed():
        billing.billing_run(now=end + timedelta(days=1, seconds=2))
    info = vendors.vendor_get(vendor_id=vendor_id)
    assert info is not None
    assert info.status == "suspended"
    refused = api.post(
        "/api/v1/vendors/stores/create",
        {"name": "x", "slug": f"x{uuid.uuid4().hex[:8]}", "currency": "EUR"},
        format="json",
        **vendor["headers"],
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "vendor_not_active")
