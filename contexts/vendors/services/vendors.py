"""Vendor accounts: creation (with the first store and the owner), profile, status."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import structlog
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from bazaar_platform.api.errors import ApplicationError, ConflictError, NotFoundError
from bazaar_platform.events import publish
from contexts.vendors.events import (
    StaffMemberAdded,
    StaffMemberRemoved,
    StoreCreated,
    StoreDeleted,
    VendorActivated,
    VendorRegistered,
    VendorSuspended,
)
from contexts.vendors.models import MemberRole, Store, Vendor, VendorMember, VendorStatus
from contexts.vendors.services.cache import forget_limits, forget_membership
from contexts.vendors.services.listing_events import listings_republish

log = structlog.get_logger("bazaar.vendors")


def validation_error(exc: DjangoValidationError, *, prefix: str = "") -> ApplicationError:
    fields = {f"{prefix}{k}": [str(m) for m in v] for k, v in exc.message_dict.items()}
    name, messages = next(iter(fields.items()))
    return ApplicationError(f"{name}: {messages[0]}", code="validation_error", fields=fields)


class SlugTakenError(ConflictError):
    code = "slug_taken"

    def __init__(self, slug: str) -> None:
        super().__init__(
            f"The store address {slug!r} is taken; choose another.",
            fields={"store_slug": ["This slug is taken."]},
        )


@dataclass(frozen=True)
class StoreInput:
    name: str
    slug: str
    currency: str
    description: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    postal_code: str = ""
    region: str = ""
    country: str = ""
    opening_state: str = "open"


def vendor_create(
    *,
    owner_user_id: UUID,
    owner_email: str,
    legal_name: str,
    contact_email: str,
    contact_phone: str = "",
    store: StoreInput,
) -> tuple[Vendor, Store]:
    """A pending vendor owned by ``owner_user_id`` with its first store.

    Call inside the caller's transaction when the caller records progress with it (the
    onboarding saga does). Raises 409 ``slug_taken`` / ``already_vendor``, 400 on bad fields.
    """
    with transaction.atomic():
        if VendorMember.objects.filter(user_id=owner_user_id).exists():
            raise ConflictError("This account already belongs to a vendor.", code="already_vendor")
        vendor = Vendor(
            legal_name=legal_name.strip(),
            contact_email=contact_email,
            contact_phone=contact_phone.strip(),
            owner_user_id=owner_user_id,
        )
        first_store = Store(vendor=vendor, **store.__dict__)
        try:
            vendor.full_clean()
            first_store.full_clean(exclude=["vendor"], validate_unique=False)
        except DjangoValidationError as exc:
            raise validation_error(exc) from None
        if Store.objects.filter(slug=store.slug).exists():
            raise SlugTakenError(store.slug)
        try:
            with transaction.atomic():
                vendor.save()
                first_store.save()
                VendorMember.objects.create(
                    vendor=vendor, user_id=owner_user_id, email=owner_email, role=MemberRole.OWNER
                )
        except IntegrityError:
            if Store.objects.filter(slug=store.slug).exists():
                raise SlugTakenError(store.slug) from None
            raise ConflictError(
                "This account already belongs to a vendor.", code="already_vendor"
            ) from None
        publish(
            VendorRegistered(
                vendor_id=vendor.pk, owner_user_id=owner_user_id, legal_name=vendor.legal_name
            )
        )
        publish(
            StoreCreated(
                vendor_id=vendor.pk,
                store_id=first_store.pk,
                slug=first_store.slug,
                name=first_store.name,
                currency=first_store.currency,
                store_count=1,
            )
        )
        publish(
            StaffMemberAdded(
                vendor_id=vendor.pk, user_id=owner_user_id, role=MemberRole.OWNER, staff_count=1
            )
        )
        forget_membership(owner_user_id)
    return vendor, first_store


def vendor_discard(*, vendor_id: UUID) -> bool:
    """Compensation for an onboarding that cannot finish: delete a vendor that never
    became active, with its stores and members. Returns False if it is gone or active."""
    with transaction.atomic():
        vendor = Vendor.objects.select_for_update().filter(pk=vendor_id).first()
        if vendor is None or vendor.status == VendorStatus.ACTIVE or vendor.activated_at:
            return False
        stores = list(vendor.stores.values_list("pk", flat=True))
        members = list(vendor.members.values_list("user_id", flat=True))
        vendor.delete()
        for i, store_id in enumerate(stores, start=1):
            publish(
                StoreDeleted(vendor_id=vendor_id, store_id=store_id, store_count=len(stores) - i)
            )
        for i, user_id in enumerate(members, start=1):
            publish(
                StaffMemberRemoved(
                    vendor_id=vendor_id, user_id=user_id, staff_count=len(members) - i
                )
            )
            forget_membership(user_id)
    log.info("vendor_discarded", vendor_id=str(vendor_id))
    return True


def _lock(vendor_id: UUID) -> Vendor:
    vendor = Vendor.objects.select_for_update().filter(pk=vendor_id).first()
    if vendor is None:
        raise NotFoundError("No such vendor.")
    return vendor


def vendor_update(
    *,
    vendor_id: UUID,
    legal_name: str | None = None,
    contact_email: str | None = None,
    contact_phone: str | None = None,
) -> Vendor:
    with transaction.atomic():
        vendor = _lock(vendor_id)
        changed = []
        for name, value in (
            ("legal_name", legal_name),
            ("contact_email", contact_email),
            ("contact_phone", contact_phone),
        ):
            if value is not None and getattr(vendor, name) != value.strip():
                setattr(vendor, name, value.strip())
                changed.append(name)
        if changed:
            try:
                vendor.full_clean()
            except DjangoValidationError as exc:
                raise validation_error(exc) from None
            vendor.save(update_fields=[*changed, "updated_at"])
    return vendor


def vendor_activate(*, vendor_id: UUID, reason: str = "subscription_activated") -> bool:
    """Pending or suspended -> active. Idempotent: False when it already was active."""
    with transaction.atomic():
        vendor = Vendor.objects.select_for_update().filter(pk=vendor_id).first()
        if vendor is None:
            log.warning("activate_unknown_vendor", vendor_id=str(vendor_id))
            return False
        if vendor.status == VendorStatus.ACTIVE:
            return False
        if vendor.status == VendorStatus.SUSPENDED and vendor.status_reason == "staff":
            # A staff suspension is lifted by staff only, not by a payment.
            log.info("activation_blocked_by_staff_suspension", vendor_id=str(vendor_id))
            return False
        vendor.status = VendorStatus.ACTIVE
        vendor.status_reason = reason
        vendor.activated_at = vendor.activated_at or timezone.now()
        vendor.save(update_fields=["status", "status_reason", "activated_at", "updated_at"])
        publish(VendorActivated(vendor_id=vendor.pk, owner_user_id=vendor.owner_user_id))
        forget_limits(vendor.pk)
        listings_republish(vendor_id=vendor.pk)
    return True


def vendor_suspend(*, vendor_id: UUID, reason: str) -> bool:
    """Active or pending -> suspended. Idempotent: False when it already was."""
    with transaction.atomic():
        vendor = Vendor.objects.select_for_update().filter(pk=vendor_id).first()
        if vendor is None:
            log.warning("suspend_unknown_vendor", vendor_id=str(vendor_id))
            return False
        if vendor.status == VendorStatus.SUSPENDED:
            if reason == "staff" and vendor.status_reason != "staff":
                vendor.status_reason = "staff"  # staff's word outlasts a billing reason
                vendor.save(update_fields=["status_reason", "updated_at"])
            return False
        vendor.status = VendorStatus.SUSPENDED
        vendor.status_reason = reason[:64]
        vendor.save(update_fields=["status", "status_reason", "updated_at"])
        publish(VendorSuspended(vendor_id=vendor.pk, reason=reason[:64]))
        forget_limits(vendor.pk)
        listings_republish(vendor_id=vendor.pk)
    return True


def vendor_reinstate(*, vendor_id: UUID, subscription_live: bool) -> Vendor:
    """Staff lift a suspension: active again when the subscription is live, else pending."""
    with transaction.atomic():
        vendor = _lock(vendor_id)
        if vendor.status != VendorStatus.SUSPENDED:
            raise ConflictError("The vendor is not suspended.", code="not_suspended")
        vendor.status = VendorStatus.ACTIVE if subscription_live else VendorStatus.PENDING
        vendor.status_reason = "staff_reinstated"
        vendor.save(update_fields=["status", "status_reason", "updated_at"])
        if subscription_live:
            vendor.activated_at = vendor.activated_at or timezone.now()
            vendor.save(update_fields=["activated_at"])
            publish(VendorActivated(vendor_id=vendor.pk, owner_user_id=vendor.owner_user_id))
            listings_republish(vendor_id=vendor.pk)
    return vendor
