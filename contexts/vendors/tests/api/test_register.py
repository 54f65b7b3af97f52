"""``POST /api/v1/vendors/register``: the onboarding saga over the API (in-process events,
sandbox gateway; the real webhook path is in ``tests/e2e``)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection

from bazaar_platform.events.models import OutboxMessage
from contexts.auth import facade as auth
from contexts.payments import facade as payments
from contexts.subscriptions import facade as subscriptions
from contexts.vendors.models import Onboarding, Store, Vendor, VendorMember
from contexts.vendors.tests import support
from tests.conftest import free_port

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in (
            "accounts_user",
            "vendors_vendor",
            "vendors_store",
            "vendors_vendormember",
            "subscriptions_subscription",
            "subscriptions_charge",
            "payments_payment",
        ):
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
            counts[table] = cursor.fetchone()[0]
    return counts


def _unreachable_gateway(settings: Any) -> None:
    """Stripe configured at a port nobody listens on: a real connection failure."""
    settings.PAYMENTS_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_unreachable"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_unreachable"
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.PAYMENTS_GATEWAY_TIMEOUT_SECONDS = 2


# --- the happy paths --------------------------------------------------------------------------
def test_paid_plan_returns_a_payment_link_and_waits_for_the_payment(api):
    body = support.register_body(plan="growth")
    response = support.register(api, body)
    assert response.status_code == 201
    result = support.data(response)
    assert result["next_action"] == "pay"
    assert result["subscription"]["status"] == "pending_payment"
    assert (result["subscription"]["amount_minor"], result["subscription"]["currency"]) == (
        2900,
        "EUR",
    )
    payment = payments.payment_get(payment_id=uuid.UUID(result["payment"]["payment_id"]))
    assert payment is not None
    assert (payment.amount_minor, payment.currency, payment.purpose) == (
        2900,
        "EUR",
        "subscription",
    )
    assert payment.status == "pending"
    assert result["payment"]["url"].startswith("http")
    assert result["vendor"]["status"] == "pending"
    # each step handed the next its ids
    user_id = uuid.UUID(result["user_id"])
    vendor = Vendor.objects.get(pk=result["vendor"]["id"])
    assert vendor.owner_user_id == user_id
    assert VendorMember.objects.get(vendor=vendor).user_id == user_id
    assert Store.objects.get(pk=result["store"]["id"]).vendor_id == vendor.pk
    sub = subscriptions.subscription_get(subscription_id=uuid.UUID(result["subscription"]["id"]))
    assert sub is not None
    assert sub.vendor_id == vendor.pk
    assert sub.needs_payment
    assert auth.user_has_role(user_id=user_id, role="vendor")
    profile = auth.user_profile(user_id=user_id)
    assert profile is not None
    assert profile.email == body["email"]


def test_the_webhook_side_activates_and_the_vendor_works_within_its_plan(api):
    body = support.register_body(plan="growth")
    result = support.data(support.register(api, body))
    headers = support.login(api, body["email"])
    # before paying: the vendor exists but cannot open stores
    refused = api.post(
        "/api/v1/vendors/stores/create",
        {"name": "Second", "slug": support.unique("s"), "currency": "EUR"},
        format="json",
        **headers,
    )
    assert refused.status_code == 403
    assert support.error(refused)["code"] == "vendor_not_active"

    support.pay(result["payment"]["payment_id"])

    current = support.data(api.get("/api/v1/subscriptions/current", **headers))
    assert current["status"] == "active"
    assert current["current_period_end"] is not None
    assert support.data(api.get("/api/v1/vendors/me", **headers))["vendor"]["status"] == "active"
    # growth allows 3 stores: the registration's plus two
    for _ in range(2):
        created = api.post(
            "/api/v1/vendors/stores/create",
            {"name": "Another", "slug": support.unique("s"), "currency": "EUR"},
            format="json",
            **headers,
        )
        assert created.status_code == 201, created.content
    over = api.post(
        "/api/v1/vendors/stores/create",
        {"name": "One too many", "slug": support.unique("s"), "currency": "EUR"},
        format="json",
        **headers,
    )
    assert over.status_code == 403
    err = support.error(over)
    assert err["code"] == "plan_limit_reached"
    assert err["limit"] == {"resource": "stores", "max": 3, "used": 3, "plan": "growth"}
    assert "3 stores" in err["message"]
    usage = support.data(api.get("/api/v1/subscriptions/usage", **headers))
    assert {"resource": "stores", "used": 3, "limit": 3} in usage["resources"]


def test_free_plan_needs_no_payment_and_is_active_at_once(api):
    body = support.register_body(plan="free")
    result = support.data(support.register(api, body))
    assert result["payment"] is None
    assert result["next_action"] == "none"
    assert result["subscription"]["status"] == "active"
    assert result["subscription"]["amount_minor"] == 0
    assert not OutboxMessage.objects.filter(event_type="payments.payment_succeeded").exists()
    # the vendor follows its subscription through subscriptions.subscription_activated
    assert OutboxMessage.objects.filter(
        event_type="subscriptions.subscription_activated", aggregate_id=result["vendor"]["id"]
    ).exists()
    headers = support.login(api, body["email"])
    assert support.data(api.get("/api/v1/vendors/me", **headers))["vendor"]["status"] == "active"
    over = api.post(
        "/api/v1/vendors/stores/create",
        {"name": "Second", "slug": support.unique("s"), "currency": "EUR"},
        format="json",
        **headers,
    )
    assert over.status_code == 403
    assert support.error(over)["limit"]["max"] == 1


def test_a_logged_in_customer_registers_with_their_token(api):
    email = f"{support.unique('c')}@customers.test"
    user_id = auth.user_create_or_get(email=email, full_name="Cleo", password=support.PASSWORD)
    headers = support.login(api, email)
    body = support.register_body(plan="free")
    for field in ("email", "full_name", "password"):
        body.pop(field)
    result = support.data(support.register(api, body, **headers))
    assert result["user_id"] == str(user_id)
    assert Vendor.objects.get(pk=result["vendor"]["id"]).contact_email == email
    # the token minted before carries no vendor role; a refreshed or new one does
    assert api.get("/api/v1/vendors/me", **headers).status_code == 403
    headers = support.login(api, email)
    assert support.data(api.get("/api/v1/vendors/me", **headers))["role"] == "owner"
    again = support.register(api, support.register_body(plan="free"), **headers)
    assert again.status_code == 409
    assert support.error(again)["code"] == "already_vendor"


# --- idempotency ------------------------------------------------------------------------------
def test_the_same_key_and_body_return_the_same_result_and_create_nothing_twice(api):
    body = support.register_body(plan="growth")
    key = str(uuid.uuid4())
    first = support.register(api, body, key=key)
    assert first.status_code == 201
    after_first = _counts()
    second = support.register(api, body, key=key)
    assert second.status_code == 201
    assert second.json()["data"] == first.json()["data"]
    assert second["Idempotent-Replayed"] == "true"
    assert _counts() == after_first
    assert Onboarding.objects.get(idempotency_key=key).attempts == 1


def test_the_same_key_with_another_body_is_refused(api):
    key = str(uuid.uuid4())
    assert support.register(api, support.register_body(), key=key).status_code == 201
    before = _counts()
    other = support.register(api, support.register_body(), key=key)
    assert other.status_code == 422
    err = support.error(other)
    assert err["code"] == "idempotency_key_reused"
    assert err["retry"]["same_idempotency_key"] is False
    assert _counts() == before


def test_the_key_is_required_and_checked(api):
    body = support.register_body()
    missing = api.post("/api/v1/vendors/register", body, format="json")
    assert (missing.status_code, support.error(missing)["code"]) == (
        400,
        "idempotency_key_required",
    )
    bad = support.register(api, body, key="spaces are not allowed")
    assert (bad.status_code, support.error(bad)["code"]) == (400, "invalid_idempotency_key")
    assert not Vendor.objects.exists()


def test_a_second_request_while_the_first_runs_is_told_to_wait(api):
    body = support.register_body()
    key = str(uuid.uuid4())
    digest_holder = Onboarding.objects.create(
        idempotency_key=key,
        request_hash="placeholder",
        email=body["email"],
        plan_code="growth",
    )
    # the same body as the running request: make the stored hash match it
    from contexts.vendors.services.onboarding import RegistrationRequest, request_hash
    from contexts.vendors.services.vendors import StoreInput

    digest_holder.request_hash = request_hash(
        RegistrationRequest(
            legal_name=body["legal_name"],
            plan_code=body["plan"],
            store=StoreInput(**body["store"]),
            email=body["email"],
            full_name=body["full_name"],
            password=body["password"],
        ),
        None,
    )
    from datetime import timedelta

    from django.utils import timezone

    digest_holder.lease_until = timezone.now() + timedelta(seconds=60)
    digest_holder.save()
    response = support.register(api, body, key=key)
    assert response.status_code == 409
    err = support.error(response)
    assert err["code"] == "request_in_progress"
    assert err["retry"]["same_idempotency_key"] is True
    assert int(response["Retry-After"]) >= 1
    assert not Vendor.objects.exists()


# --- a failing step leaves a resumable state ----------------------------------------------------
def test_gateway_down_leaves_a_resumable_state_and_the_retry_resumes(api, settings):
    body = support.register_body(plan="growth")
    key = str(uuid.uuid4())
    _unreachable_gateway(settings)
    down = support.register(api, body, key=key)
    assert down.status_code == 503
    err = support.error(down)
    assert err["code"] == "payment_gateway_unavailable"
    assert err["retry"] == {
        "same_idempotency_key": True,
        "after_seconds": 30,
        "resume_from": "payment",
    }
    assert down["Retry-After"] == "30"
    record = Onboarding.objects.get(idempotency_key=key)
    assert (record.status, record.step, record.error_step) == (
        "interrupted",
        "subscription",
        "payment",
    )
    # consistent: one user, one vendor (pending) with its store, one pending subscription
    counts = _counts()
    assert counts["vendors_vendor"] == counts["vendors_store"] == 1
    assert counts["subscriptions_subscription"] == 1
    assert counts["payments_payment"] == 0
    vendor = Vendor.objects.get()
    assert vendor.pk == record.vendor_id
    assert vendor.status == "pending"

    # a retry while the gateway is still down changes nothing
    again = support.register(api, body, key=key)
    assert again.status_code == 503
    assert _counts() == counts

    settings.PAYMENTS_GATEWAY = "sandbox"
    resumed = support.register(api, body, key=key)
    assert resumed.status_code == 201, resumed.content
    result = support.data(resumed)
    assert result["vendor"]["id"] == str(record.vendor_id)
    assert result["subscription"]["id"] == str(record.subscription_id)
    assert result["payment"]["url"]
    after = _counts()
    assert after["accounts_user"] == counts["accounts_user"]
    assert after["vendors_vendor"] == 1
    assert after["subscriptions_subscription"] == 1
    assert after["payments_payment"] == 1
    record.refresh_from_db()
    assert (record.status, record.attempts) == ("completed", 3)
    # and the stored answer is what a later repeat gets
    replay = support.register(api, body, key=key)
    assert replay.json()["data"] == result


def test_a_crash_between_steps_is_resumed_by_the_retry(api, monkeypatch):
    """A bug or outage inside a step (not an ApplicationError) interrupts the saga too."""
    from contexts.vendors.services import onboarding

    calls = {"n": 0}
    real = onboarding.subscriptions.subscription_create

    def flaky(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("subscriptions is down")
        return real(**kwargs)

    monkeypatch.setattr(onboarding.subscriptions, "subscription_create", flaky)
    body = support.register_body(plan="free")
    key = str(uuid.uuid4())
    first = support.register(api, body, key=key)
    assert first.status_code == 503
    err = support.error(first)
    assert err["code"] == "temporarily_unavailable"
    assert err["retry"]["resume_from"] == "subscription"
    assert Vendor.objects.count() == 1
    second = support.register(api, body, key=key)
    assert second.status_code == 201
    assert support.data(second)["subscription"]["status"] == "active"
    assert Vendor.objects.count() == 1


# --- bad input: a clear 4xx and nothing half-made ------------------------------------------------
@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"plan": "platinum"}, 422, "invalid_plan", "plan"),
        ({"plan": "Not A Slug!"}, 400, "validation_error", "plan"),
        ({"store": {"currency": "JPY"}}, 422, "currency_not_offered", "currency"),
        ({"store": {"currency": "XYZ"}}, 400, "validation_error", "store"),
        ({"store": {"currency": "eur"}}, 400, "validation_error", "store"),
        ({"store": {"slug": "Bad Slug"}}, 400, "validation_error", "store"),
        ({"store": {"slug": "-x"}}, 400, "validation_error", "store"),
        ({"store": {"country": "France"}}, 400, "validation_error", "store"),
        ({"store": {"colour": "red"}}, 400, "validation_error", "store"),
        ({"legal_name": ""}, 400, "validation_error", "legal_name"),
        ({"legal_name": "x" * 201}, 400, "validation_error", "legal_name"),
        ({"email": "not-an-email"}, 400, "validation_error", "email"),
        ({"password": "123"}, 400, "validation_error", "password"),
        ({"password": None}, 400, "validation_error", "password"),
        ({"discount": 100}, 400, "validation_error", "discount"),
        ({"store": "a string"}, 400, "validation_error", "store"),
    ],
)
def test_bad_input_is_refused_before_anything_is_written(api, change, status, code, field):
    body = support.register_body()
    store_change = change.pop("store", None) if isinstance(change.get("store"), dict) else None
    body.update(change)
    if store_change:
        body["store"].update(store_change)
    for name, value in list(body.items()):
        if value is None:
            body.pop(name)
    before = _counts()
    key = str(uuid.uuid4())
    response = support.register(api, body, key=key)
    assert response.status_code == status, response.content
    err = support.error(response)
    assert err["code"] == code
    assert field in err["fields"], err
    assert _counts() == before
    # the key was not spent: the corrected request may use it
    assert not Onboarding.objects.filter(idempotency_key=key).exists()


def test_currency_mismatch_names_the_currencies_on_offer(api):
    response = support.register(api, support.register_body(store={"currency": "CHF"}))
    err = support.error(response)
    assert err["code"] == "currency_not_offered"
    assert err["offered_currencies"] == ["EUR", "GBP", "USD"]
    assert "CHF" in err["message"]


def test_a_taken_slug_or_email_is_a_conflict_and_nothing_is_made(api):
    first = support.register_body()
    assert support.register(api, first).status_code == 201
    before = _counts()
    slug_taken = support.register(
        api, support.register_body(store={"slug": first["store"]["slug"]})
    )
    assert slug_taken.status_code == 409
    assert support.error(slug_taken)["code"] == "slug_taken"
    email_taken = support.register(api, support.register_body(email=first["email"]))
    assert email_taken.status_code == 409
    err = support.error(email_taken)
    assert err["code"] == "account_exists"
    assert "log in" in err["message"].lower()
    assert _counts() == before


def test_the_corrected_request_may_reuse_a_key_refused_for_bad_input(api):
    key = str(uuid.uuid4())
    body = support.register_body(plan="platinum")
    assert support.register(api, body, key=key).status_code == 422
    body["plan"] = "free"
    assert support.register(api, body, key=key).status_code == 201


def test_registrations_are_throttled_per_address(api, settings):
    settings.VENDORS_REGISTER_RATE_PER_MINUTE = 2
    settings.RATE_LIMIT_KEY_PREFIX = f"test-register-{uuid.uuid4().hex[:8]}"
    statuses = [
        support.register(api, support.register_body(plan="platinum")).status_code for _ in range(3)
    ]
    assert statuses == [422, 422, 429]
    refused = support.register(api, support.register_body())
    assert refused.status_code == 429
    assert support.error(refused)["code"] == "throttled"
    assert int(refused["Retry-After"]) >= 1
    assert refused["RateLimit-Limit"] == "2"
    assert refused["RateLimit-Remaining"] == "0"
