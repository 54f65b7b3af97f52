"""Reactions to the vendors/subscriptions, payments and catalog events: recipients
resolved through the vendors and payments facades."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.test import TestCase
from django.utils import timezone
from rest_framework.test import APIClient

from bazaar_platform.events import publish
from contexts.catalog.events import ProductPublished
from contexts.notifications.models import Category, Notification
from contexts.notifications.services import preferences_update
from contexts.notifications.tests.conftest import PASSWORD, new_email
from contexts.payments import facade as payments
from contexts.payments.events import RefundSucceeded
from contexts.subscriptions.events import SubscriptionPastDue

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _register_vendor(plan: str = "free") -> dict[str, Any]:
    """A vendor through the vendors context's public API (free plan: active at once)."""
    tag = uuid.uuid4().hex[:8]
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = APIClient().post(
            "/api/v1/vendors/register",
            {
                "email": new_email(),
                "full_name": "Vera Vendor",
                "password": PASSWORD,
                "legal_name": f"Vera {tag} Ltd",
                "plan": plan,
                "store": {"name": f"Store {tag}", "slug": f"store-{tag}", "currency": "EUR"},
            },
            format="json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )
    assert response.status_code == 201, response.content
    return dict(response.json()["data"])


def _notification(user_id: Any, kind: str) -> Notification:
    return Notification.objects.get(recipient_user_id=user_id, kind=kind)


def test_an_activated_subscription_tells_the_vendors_owner():
    vendor = _register_vendor()
    notification = _notification(vendor["user_id"], "subscription_activated")
    assert notification.category == Category.VENDOR_OPERATIONS
    assert notification.subject == "Your free subscription is active"
    assert "Your free subscription is active: your store can sell." in notification.in_app_html
    statuses = {d.channel: d.status for d in notification.deliveries.all()}
    assert statuses == {"in_app": "sent", "email": "sent"}


def test_a_past_due_subscription_is_dunned_by_sms_only_after_opt_in():
    vendor = _register_vendor()
    owner = uuid.UUID(vendor["user_id"])
    grace = timezone.now() + timedelta(days=7)

    def past_due() -> Notification:
        with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
            publish(
                SubscriptionPastDue(
                    subscription_id=uuid.UUID(vendor["subscription"]["id"]),
                    vendor_id=uuid.UUID(vendor["vendor"]["id"]),
                    plan_code="growth",
                    grace_until=grace,
                )
            )
        return Notification.objects.filter(
            recipient_user_id=owner, kind="subscription_past_due"
        ).latest("created_at")

    preferences_update(user_id=owner, phone="+447700900123")
    first = past_due()
    assert {d.channel: d.status_reason for d in first.deliveries.all()}["sms"] == "preference_off"
    preferences_update(user_id=owner, channels={"vendor_operations": {"sms": True}})
    second = past_due()
    assert {d.channel: d.status for d in second.deliveries.all()} == {
        "in_app": "sent",
        "email": "sent",
        "sms": "sent",
    }
    assert "payment needed for your growth subscription before" in second.sms_text
    assert any(m.subject == "Payment needed for your Bazaar subscription" for m in mail.outbox)


def _refund(payment_id: uuid.UUID, *, purpose: str, status: str = "refunded") -> None:
    with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
        publish(
            RefundSucceeded(
                refund_id=uuid.uuid4(),
                payment_id=payment_id,
                purpose=purpose,
                reference_id=uuid.uuid4(),
                amount_minor=123450,
                currency="EUR",
                refunded_total_minor=123450,
                payment_status=status,
            )
        )


def test_a_refund_reaches_a_guest_payer_by_email(settings):
    email = new_email()
    link = payments.payment_link_create(
        purpose="order",
        reference_id=uuid.uuid4(),
        amount_minor=123450,
        currency="EUR",
        description="Order 42",
        payer_email=email,
        idempotency_key=str(uuid.uuid4()),
    )
    _refund(link.payment_id, purpose="order")
    notification = Notification.objects.get(kind="refund_succeeded")
    assert notification.recipient_user_id is None and notification.email == email
    assert notification.category == Category.ORDERS
    deliveries = {d.channel: (d.status, d.status_reason) for d in notification.deliveries.all()}
    assert deliveries == {"email": ("sent", ""), "in_app": ("skipped", "no_address")}
    assert notification.subject == "Your refund of 1,234.50 EUR is on its way"
    assert "The payment is now fully refunded." in notification.email_text


def test_a_refund_to_a_user_is_in_their_language():
    vendor = _register_vendor()
    owner = uuid.UUID(vendor["user_id"])
    preferences_update(user_id=owner, locale="fr")
    link = payments.payment_link_create(
        purpose="subscription",
        reference_id=uuid.uuid4(),
        amount_minor=123450,
        currency="EUR",
        description="Growth plan",
        payer_email="billing@example.com",
        payer_user_id=owner,
        idempotency_key=str(uuid.uuid4()),
    )
    _refund(link.payment_id, purpose="subscription", status="partially_refunded")
    notification = _notification(owner, "refund_succeeded")
    assert notification.category == Category.VENDOR_OPERATIONS
    assert notification.subject == "Votre remboursement de 1\xa0234,50 EUR est en route"
    assert "entièrement remboursé" not in notification.email_text


def _product_event(vendor_id: uuid.UUID | None) -> ProductPublished:
    now = timezone.now()
    return ProductPublished(
        product_id=uuid.uuid4(), slug="acme-phone-x", name="Acme <Phone> X", status="published",
        description_text="", brand_id=None, brand_name=None, brand_slug=None,
        category_id=uuid.uuid4(), category_path_ids=[], category_path=[], category_path_slugs=[],
        product_type="phone", attribute_values={}, variant_ids=[], skus=[],
        proposed_by_vendor_id=vendor_id, published_at=now, updated_at=now,
    )  # fmt: skip


def test_a_published_proposal_tells_the_vendor_and_other_publications_tell_nobody():
    vendor = _register_vendor()
    before = Notification.objects.count()
    with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
        publish(_product_event(None))
        publish(_product_event(uuid.uuid4()))  # a vendor we do not know: nobody to tell
    assert Notification.objects.count() == before
    with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
        publish(_product_event(uuid.UUID(vendor["vendor"]["id"])))
    notification = _notification(vendor["user_id"], "product_proposal_published")
    assert notification.subject == "Your product is live: Acme <Phone> X"
    assert "Acme &lt;Phone&gt; X" in notification.in_app_html
    assert notification.link == "/api/v1/catalog/products/acme-phone-x/"
