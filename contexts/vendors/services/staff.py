"""Vendor staff: members are auth users with a role inside their vendor.

Adding someone asks the auth context for the account of their e-mail address (created
without a password if missing: auth e-mails them a link to choose one) and grants it
the platform's ``vendor`` role; the seat limit of the plan is checked before and
again, under the vendor's lock, when the membership is written.
"""

from __future__ import annotations

from uuid import UUID

from django.db import IntegrityError, transaction

from bazaar_platform.api.errors import ConflictError, NotFoundError
from bazaar_platform.events import publish
from contexts.auth import facade as auth
from contexts.subscriptions import facade as subscriptions
from contexts.vendors.events import StaffMemberAdded, StaffMemberRemoved
from contexts.vendors.models import MemberRole, Vendor, VendorMember
from contexts.vendors.services.cache import forget_membership


def staff_add(*, vendor_id: UUID, email: str, full_name: str, role: str) -> VendorMember:
    if role not in (MemberRole.MANAGER, MemberRole.STAFF):
        raise ConflictError("Members are added as manager or staff.", code="invalid_role")
    subscriptions.limit_check(
        vendor_id=vendor_id,
        resource="staff_seats",
        current_count=VendorMember.objects.filter(vendor_id=vendor_id).count(),
    )
    user_id = auth.user_create_or_get(email=email, full_name=full_name)
    with transaction.atomic():
        vendor = Vendor.objects.select_for_update().filter(pk=vendor_id).first()
        if vendor is None:
            raise NotFoundError("No such vendor.")
        existing = VendorMember.objects.filter(user_id=user_id).first()
        if existing is not None:
            if existing.vendor_id == vendor_id:
                raise ConflictError("This person is already a member.", code="already_member")
            raise ConflictError(
                "This person works for another vendor.", code="member_of_another_vendor"
            )
        current = VendorMember.objects.filter(vendor=vendor).count()
        subscriptions.limit_check(
            vendor_id=vendor_id, resource="staff_seats", current_count=current
        )
        profile = auth.user_profile(user_id=user_id)
        try:
            with transaction.atomic():
                member = VendorMember.objects.create(
                    vendor=vendor,
                    user_id=user_id,
                    email=profile.email if profile else email.strip().lower(),
                    role=role,
                )
        except IntegrityError:
            raise ConflictError(
                "This person works for another vendor.", code="member_of_another_vendor"
            ) from None
        publish(
            StaffMemberAdded(
                vendor_id=vendor_id, user_id=user_id, role=role, staff_count=current + 1
            )
        )
        forget_membership(user_id)
    auth.role_grant(user_id=user_id, role="vendor")  # idempotent
    return member


def _lock_member(vendor_id: UUID, member_id: UUID) -> VendorMember:
    member = (
        VendorMember.objects.select_for_update().filter(vendor_id=vendor_id, pk=member_id).first()
    )
    if member is None:
        raise NotFoundError("No such member.")
    return member


def staff_role_change(*, vendor_id: UUID, member_id: UUID, role: str) -> VendorMember:
    if role not in (MemberRole.MANAGER, MemberRole.STAFF):
        raise ConflictError("Members can be manager or staff.", code="invalid_role")
    with transaction.atomic():
        member = _lock_member(vendor_id, member_id)
        if member.role == MemberRole.OWNER:
            raise ConflictError("The owner's role cannot change.", code="owner_role_fixed")
        if member.role != role:
            member.role = role
            member.save(update_fields=["role"])
            forget_membership(member.user_id)
    return member


def staff_remove(*, vendor_id: UUID, member_id: UUID) -> None:
    with transaction.atomic():
        Vendor.objects.select_for_update().filter(pk=vendor_id).first()
        member = _lock_member(vendor_id, member_id)
        if member.role == MemberRole.OWNER:
            raise ConflictError("The owner cannot be removed.", code="owner_not_removable")
        user_id = member.user_id
        member.delete()
        remaining = VendorMember.objects.filter(vendor_id=vendor_id).count()
        publish(StaffMemberRemoved(vendor_id=vendor_id, user_id=user_id, staff_count=remaining))
        forget_membership(user_id)
