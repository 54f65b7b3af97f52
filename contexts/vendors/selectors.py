"""Reads of the vendors context. Every vendor-facing read is scoped by vendor id."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from contexts.vendors.models import Onboarding, Store, Vendor, VendorMember


def membership_for_user(*, user_id: UUID) -> VendorMember | None:
    return VendorMember.objects.select_related("vendor").filter(user_id=user_id).first()


def vendor_get(*, vendor_id: UUID) -> Vendor | None:
    return Vendor.objects.filter(pk=vendor_id).first()


def vendor_list() -> QuerySet[Vendor]:
    return Vendor.objects.all()


def store_list_for_vendor(*, vendor_id: UUID) -> QuerySet[Store]:
    return Store.objects.filter(vendor_id=vendor_id)


def store_get_for_vendor(*, vendor_id: UUID, store_id: UUID) -> Store | None:
    return Store.objects.filter(vendor_id=vendor_id, pk=store_id).first()


def store_get(*, store_id: UUID) -> Store | None:
    return Store.objects.filter(pk=store_id).first()


def store_slug_taken(*, slug: str, exclude_store_id: UUID | None = None) -> bool:
    stores = Store.objects.filter(slug=slug)
    if exclude_store_id is not None:
        stores = stores.exclude(pk=exclude_store_id)
    return stores.exists()


def store_count(*, vendor_id: UUID) -> int:
    return Store.objects.filter(vendor_id=vendor_id).count()


def member_list_for_vendor(*, vendor_id: UUID) -> QuerySet[VendorMember]:
    return VendorMember.objects.filter(vendor_id=vendor_id)


def member_get_for_vendor(*, vendor_id: UUID, member_id: UUID) -> VendorMember | None:
    return VendorMember.objects.filter(vendor_id=vendor_id, pk=member_id).first()


def member_count(*, vendor_id: UUID) -> int:
    return VendorMember.objects.filter(vendor_id=vendor_id).count()


def onboarding_get_by_key(*, idempotency_key: str) -> Onboarding | None:
    return Onboarding.objects.filter(idempotency_key=idempotency_key).first()
