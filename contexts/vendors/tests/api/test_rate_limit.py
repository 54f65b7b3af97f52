"""Vendor API calls are limited per plan (a sliding window in Redis)."""

from __future__ import annotations

import uuid

import pytest

from contexts.auth import facade as auth
from contexts.vendors.tests import support

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def admin(api):
    email = f"{support.unique('admin')}@example.test"
    user_id = auth.user_create_or_get(email=email, full_name="Ada", password=support.PASSWORD)
    auth.role_grant(user_id=user_id, role="admin")
    return support.login(api, email)


def _plan(api, admin, code: str, rate: int, seats: int = 3) -> None:
    response = api.post(
        "/api/v1/subscriptions/plans/create",
        {
            "code": code,
            "name": code.title(),
            "max_products": 10,
            "max_stores": 1,
            "max_staff_seats": seats,
            "api_requests_per_minute": rate,
            "prices": {"EUR": 0},
        },
        format="json",
        **admin,
    )
    assert response.status_code == 201, response.content


def test_calls_beyond_the_plan_rate_get_429_with_headers(api, admin, registered):
    code = f"tiny{uuid.uuid4().hex[:6]}"
    _plan(api, admin, code, rate=3)
    _, headers = registered(plan=code)
    remaining = []
    for _ in range(3):
        response = api.get("/api/v1/vendors/stores", **headers)
        assert response.status_code == 200
        assert response["RateLimit-Limit"] == "3"
        assert response["RateLimit-Policy"] == "3;w=60"
        assert 0 < int(response["RateLimit-Reset"]) <= 60
        remaining.append(int(response["RateLimit-Remaining"]))
    assert remaining == [2, 1, 0]
    refused = api.get("/api/v1/vendors/me", **headers)
    assert refused.status_code == 429
    err = support.error(refused)
    assert err["code"] == "throttled"
    assert f"{code} plan allows 3 API requests per minute" in err["message"]
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused["RateLimit-Remaining"] == "0"
    assert refused["RateLimit-Limit"] == "3"
    # another vendor has its own window
    _, other = registered(plan=code)
    assert api.get("/api/v1/vendors/me", **other).status_code == 200


def test_all_members_of_a_vendor_share_its_window(api, admin, registered):
    code = f"duo{uuid.uuid4().hex[:6]}"
    _plan(api, admin, code, rate=4)
    _, owner = registered(plan=code)
    email = f"{support.unique('staff')}@example.test"
    added = api.post(
        "/api/v1/vendors/staff/add", {"email": email, "role": "staff"}, format="json", **owner
    )
    assert added.status_code == 201  # the owner's 1st call
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(email=email)
    user.set_password(support.PASSWORD)
    user.save()
    staff = support.login(api, email)
    assert api.get("/api/v1/vendors/me", **staff)["RateLimit-Remaining"] == "2"
    assert api.get("/api/v1/vendors/me", **owner)["RateLimit-Remaining"] == "1"
    assert api.get("/api/v1/vendors/me", **staff)["RateLimit-Remaining"] == "0"
    assert api.get("/api/v1/vendors/me", **owner).status_code == 429


def test_a_plan_change_applies_the_new_rate_at_once(api, admin, registered):
    slow, fast = f"slow{uuid.uuid4().hex[:6]}", f"fast{uuid.uuid4().hex[:6]}"
    _plan(api, admin, slow, rate=2)
    _plan(api, admin, fast, rate=50)
    result, headers = registered(plan=slow)
    assert api.get("/api/v1/vendors/me", **headers)["RateLimit-Limit"] == "2"
    changed = api.post(
        f"/api/v1/subscriptions/{result['subscription']['id']}/change-plan",
        {"plan": fast},
        format="json",
        **headers,
    )
    assert support.data(changed)["applied"] is True  # free to free: no charge
    response = api.get("/api/v1/vendors/me", **headers)
    assert response.status_code == 200
    assert response["RateLimit-Limit"] == "50"


def test_redis_down_fails_open_or_closed_as_configured(api, registered, settings):
    _, headers = registered(plan="free")
    settings.RATE_LIMIT_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    settings.VENDORS_RATE_LIMIT_FAIL_OPEN = True
    open_ = api.get("/api/v1/vendors/me", **headers)
    assert open_.status_code == 200
    assert "RateLimit-Limit" not in open_
    settings.VENDORS_RATE_LIMIT_FAIL_OPEN = False
    closed = api.get("/api/v1/vendors/me", **headers)
    assert (closed.status_code, support.error(closed)["code"]) == (503, "rate_limit_unavailable")
