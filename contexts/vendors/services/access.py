"""Who may do what inside a vendor: membership and role checks shared by the services."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from bazaar_platform.api.errors import ApplicationError
from contexts.vendors.models import MemberRole, VendorMember, VendorStatus
from contexts.vendors.selectors import membership_for_user

ALL_ROLES = frozenset(MemberRole.values)
MANAGERS = frozenset({MemberRole.OWNER.value, MemberRole.MANAGER.value})
OWNER_ONLY = frozenset({MemberRole.OWNER.value})


class NotAVendorMemberError(ApplicationError):
    status_code = 403
    code = "not_a_vendor_member"

    def __init__(self) -> None:
        super().__init__("Your account does not belong to a vendor.")


class VendorRoleRequiredError(ApplicationError):
    status_code = 403
    code = "vendor_role_required"


class VendorNotActiveError(ApplicationError):
    status_code = 403
    code = "vendor_not_active"


def member_require(*, user_id: UUID | None, roles: Iterable[str] = ALL_ROLES) -> VendorMember:
    """The caller's membership, if its role is one of ``roles``; 403 otherwise."""
    member = membership_for_user(user_id=user_id) if user_id is not None else None
    if member is None:
        raise NotAVendorMemberError()
    allowed = frozenset(roles)
    if member.role not in allowed:
        needed = " or ".join(sorted(allowed))
        raise VendorRoleRequiredError(f"This needs the {needed} role in your vendor.")
    return member


def vendor_require_active(member: VendorMember) -> None:
    if member.vendor.status != VendorStatus.ACTIVE:
        reason = (
            "it is waiting for its subscription to be paid"
            if member.vendor.status == VendorStatus.PENDING
            else "it is suspended"
        )
        raise VendorNotActiveError(
            f"Your vendor cannot do this while {reason}.",
            extra={"vendor_status": member.vendor.status},
        )
