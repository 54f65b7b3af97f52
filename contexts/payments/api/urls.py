"""Mounted by config/urls.py at /api/v1/payments/ (namespace "payments")."""

from __future__ import annotations

from django.urls import URLPattern, path

from contexts.payments.api import sandbox_views
from contexts.payments.api import views as v

urlpatterns: list[URLPattern] = [
    path("webhooks/<slug:gateway>", v.PaymentWebhookReceiveApi.as_view(), name="webhook"),
    path(
        "sandbox/<str:checkout_id>",
        sandbox_views.sandbox_checkout_page,
        name="sandbox-checkout",
    ),
    path(
        "sandbox/<str:checkout_id>/decision",
        sandbox_views.sandbox_checkout_decide,
        name="sandbox-decision",
    ),
    path("<uuid:payment_id>", v.PaymentDetailApi.as_view(), name="payment-detail"),
    path("<uuid:payment_id>/refunds", v.PaymentRefundCreateApi.as_view(), name="refund-create"),
]
