"""Mounted by config/urls.py at /api/v1/subscriptions/ (namespace "subscriptions")."""

from __future__ import annotations

from django.urls import URLPattern, path

from contexts.subscriptions.api import views as v

urlpatterns: list[URLPattern] = [
    path("plans", v.PlanListApi.as_view(), name="plan-list"),
    path("plans/create", v.PlanCreateApi.as_view(), name="plan-create"),
    path("plans/<slug:code>/update", v.PlanUpdateApi.as_view(), name="plan-update"),
    path("current", v.SubscriptionCurrentApi.as_view(), name="current"),
    path("usage", v.UsageApi.as_view(), name="usage"),
    path("<uuid:subscription_id>", v.SubscriptionDetailApi.as_view(), name="detail"),
    path("<uuid:subscription_id>/charges", v.ChargeListApi.as_view(), name="charges"),
    path("<uuid:subscription_id>/checkout", v.SubscriptionCheckoutApi.as_view(), name="checkout"),
    path(
        "<uuid:subscription_id>/change-plan",
        v.SubscriptionChangePlanApi.as_view(),
        name="change-plan",
    ),
    path("<uuid:subscription_id>/cancel", v.SubscriptionCancelApi.as_view(), name="cancel"),
    path("<uuid:subscription_id>/resume", v.SubscriptionResumeApi.as_view(), name="resume"),
]
