"""Stores of a vendor: create within the plan's limit, edit, open/close, logo, delete."""

from __future__ import annotations

from typing import IO, Any
from uuid import UUID

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.base import File
from django.db import IntegrityError, transaction

from bazaar_platform.api.errors import NotFoundError
from bazaar_platform.events import publish
from contexts.subscriptions import facade as subscriptions
from contexts.vendors.events import StoreCreated, StoreDeleted, StoreUpdated
from contexts.vendors.models import Store, Vendor
from contexts.vendors.services.listing_events import listings_republish
from contexts.vendors.services.listings import (
    listings_removed_with_store,
    product_count_publish,
)
from contexts.vendors.services.logos import logo_check
from contexts.vendors.services.vendors import SlugTakenError, StoreInput, validation_error

EDITABLE_FIELDS = (
    "name",
    "slug",
    "description",
    "address_line1",
    "address_line2",
    "city",
    "postal_code",
    "region",
    "country",
    "currency",
    "opening_state",
)


def store_create(*, vendor_id: UUID, data: StoreInput) -> Store:
    """Another store for an active vendor, refused (403 ``plan_limit_reached``) beyond
    the plan's store limit. The vendor row is locked so two concurrent creations cannot
    both pass the limit."""
    with transaction.atomic():
        vendor = Vendor.objects.select_for_update().filter(pk=vendor_id).first()
        if vendor is None:
            raise NotFoundError("No such vendor.")
        current = Store.objects.filter(vendor=vendor).count()
        subscriptions.limit_check(vendor_id=vendor.pk, resource="stores", current_count=current)
        store = Store(vendor=vendor, **data.__dict__)
        try:
            store.full_clean(validate_unique=False)
        except DjangoValidationError as exc:
            raise validation_error(exc) from None
        if Store.objects.filter(slug=store.slug).exists():
            raise SlugTakenError(store.slug)
        try:
            with transaction.atomic():
                store.save()
        except IntegrityError:
            raise SlugTakenError(store.slug) from None
        publish(
            StoreCreated(
                vendor_id=vendor.pk,
                store_id=store.pk,
                slug=store.slug,
                name=store.name,
                currency=store.currency,
                store_count=current + 1,
            )
        )
    return store


def _lock(vendor_id: UUID, store_id: UUID) -> Store:
    store = Store.objects.select_for_update().filter(vendor_id=vendor_id, pk=store_id).first()
    if store is None:
        raise NotFoundError("No such store.")
    return store


def store_update(*, vendor_id: UUID, store_id: UUID, changes: dict[str, Any]) -> Store:
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    with transaction.atomic():
        store = _lock(vendor_id, store_id)
        changed = [k for k, v in changes.items() if getattr(store, k) != v]
        for name in changed:
            setattr(store, name, changes[name])
        if not changed:
            return store
        try:
            store.full_clean(validate_unique=False)
        except DjangoValidationError as exc:
            raise validation_error(exc) from None
        if (
            "slug" in changed
            and Store.objects.filter(slug=store.slug).exclude(pk=store.pk).exists()
        ):
            raise SlugTakenError(store.slug)
        try:
            with transaction.atomic():
                store.save(update_fields=[*changed, "updated_at"])
        except IntegrityError:
            raise SlugTakenError(store.slug) from None
        publish(
            StoreUpdated(
                vendor_id=vendor_id,
                store_id=store.pk,
                changed=changed,
                opening_state=store.opening_state,
            )
        )
        if "opening_state" in changed:
            listings_republish(vendor_id=vendor_id, store_id=store.pk)
    return store


def store_delete(*, vendor_id: UUID, store_id: UUID) -> None:
    with transaction.atomic():
        Vendor.objects.select_for_update().filter(pk=vendor_id).first()
        store = _lock(vendor_id, store_id)
        logo = store.logo.name if store.logo else ""
        had_listings = listings_removed_with_store(store_id=store.pk)
        store.delete()
        remaining = Store.objects.filter(vendor_id=vendor_id).count()
        publish(StoreDeleted(vendor_id=vendor_id, store_id=store_id, store_count=remaining))
        if had_listings:
            product_count_publish(vendor_id=vendor_id)
        if logo:
            storage = store.logo.storage
            transaction.on_commit(lambda: storage.delete(logo))


def store_logo_set(*, vendor_id: UUID, store_id: UUID, file: IO[bytes], size: int | None) -> Store:
    """Replace the store's logo after checking the bytes (type, size, pixels)."""
    checked = logo_check(file, size=size)
    with transaction.atomic():
        store = _lock(vendor_id, store_id)
        old = store.logo.name if store.logo else ""
        store.logo.save(f"logo.{checked.extension}", File(file), save=False)
        store.save(update_fields=["logo", "updated_at"])
        publish(
            StoreUpdated(
                vendor_id=vendor_id,
                store_id=store.pk,
                changed=["logo"],
                opening_state=store.opening_state,
            )
        )
        if old:
            storage = store.logo.storage
            transaction.on_commit(lambda: storage.delete(old))
    return store


def store_logo_clear(*, vendor_id: UUID, store_id: UUID) -> Store:
    with transaction.atomic():
        store = _lock(vendor_id, store_id)
        if store.logo and store.logo.name:
            old, storage = store.logo.name, store.logo.storage
            store.logo = ""
            store.save(update_fields=["logo", "updated_at"])
            publish(
                StoreUpdated(
                    vendor_id=vendor_id,
                    store_id=store.pk,
                    changed=["logo"],
                    opening_state=store.opening_state,
                )
            )
            transaction.on_commit(lambda: storage.delete(old))
    return store
