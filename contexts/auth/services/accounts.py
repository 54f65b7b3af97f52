"""Account use cases: registration, e-mail verification, log-in, passwords, profile, roles, status.

No response of these services tells whether an e-mail address has an account:
registration and reset requests answer the same way for both, and log-in failures
are one error, with one password hash computed on every path.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import structlog
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from bazaar_platform.api.errors import ApplicationError, ConflictError, NotFoundError
from bazaar_platform.events import publish
from contexts.auth.events import (
    NewDeviceLogin,
    PasswordChanged,
    RoleGranted,
    RoleRevoked,
    UserDeactivated,
    UserRegistered,
    UserUpdated,
)
from contexts.auth.models import CustomerStatus, Role, RoleAssignment, User, VendorStatus
from contexts.auth.selectors import user_get_by_email, user_known_device, user_role_names
from contexts.auth.services import emails
from contexts.auth.services.oauth.consent import authorizations_revoke_all
from contexts.auth.services.throttle import (
    login_failure_record,
    login_success_record,
    login_throttle_check,
)
from contexts.auth.services.tokens import sessions_revoke_all

log = structlog.get_logger("bazaar.auth")

VERIFY_SALT = "bazaar.auth.verify-email"
RESET_SALT = "bazaar.auth.password-reset"


class InvalidCredentialsError(ApplicationError):
    status_code = 401
    code = "invalid_credentials"

    def __init__(self) -> None:
        super().__init__("The e-mail address or the password is wrong.")


class InvalidActionTokenError(ApplicationError):
    code = "invalid_token"

    def __init__(self, what: str) -> None:
        super().__init__(f"The {what} token is invalid or has expired.")


# --- helpers ---------------------------------------------------------------------------------
def normalize_email(email: str) -> str:
    return email.strip().lower()


def _check_email(email: str) -> str:
    email = normalize_email(email)
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ApplicationError(
            "Enter a valid e-mail address.",
            code="validation_error",
            fields={"email": ["Enter a valid e-mail address."]},
        ) from None
    return email


def _check_password(
    password: str, *, email: str = "", full_name: str = "", field: str = "password"
) -> None:
    try:
        validate_password(password, user=User(email=email, full_name=full_name))
    except DjangoValidationError as exc:
        raise ApplicationError(
            exc.messages[0], code="validation_error", fields={field: list(exc.messages)}
        ) from None


def _verify_password(user: User | None, password: str) -> bool:
    """Exactly one password hash on every path, so timing does not tell accounts apart."""
    if user is None or not user.has_usable_password():
        make_password(password)
        return False
    return user.check_password(password)


def _publish_updated(user: User, changed: list[str]) -> None:
    publish(
        UserUpdated(
            user_id=user.pk,
            changed=changed,
            is_active=user.is_active,
            email_verified=user.email_verified,
            customer_status=user.customer_status,
            vendor_status=user.vendor_status,
        )
    )


def _lock_user(user_id: UUID) -> User:
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFoundError("No such user.")
    return user


# --- registration and verification --------------------------------------------------------------
def email_verification_token(*, user: User) -> str:
    return signing.dumps({"u": str(user.pk), "e": user.email}, salt=VERIFY_SALT, compress=True)


def _create_user(
    *, email: str, password: str | None, full_name: str, via: str, verified: bool = False
) -> User:
    user = User.objects.create_user(
        email,
        password,
        full_name=full_name,
        email_verified_at=timezone.now() if verified else None,
        customer_status=CustomerStatus.ACTIVE if verified else CustomerStatus.PENDING,
    )
    RoleAssignment.objects.create(user=user, role=Role.CUSTOMER)
    publish(
        UserRegistered(
            user_id=user.pk,
            email=user.email,
            full_name=user.full_name,
            roles=[Role.CUSTOMER],
            via=via,
        )
    )
    return user


def user_register(*, email: str, password: str, full_name: str = "") -> None:
    """Create an account and e-mail a verification link, or, if the address already has
    an account, e-mail its owner instead. The caller cannot tell which happened."""
    email = _check_email(email)
    _check_password(password, email=email, full_name=full_name)
    try:
        with transaction.atomic():
            if user_get_by_email(email=email) is None:
                user = _create_user(
                    email=email, password=password, full_name=full_name.strip(), via="password"
                )
                emails.verification_email(to=user.email, token=email_verification_token(user=user))
                return
    except IntegrityError:  # registered concurrently: same as "exists"
        pass
    make_password(password)  # the work a new account costs, so timing does not tell
    with transaction.atomic():
        emails.already_registered_email(to=email)


def user_verify_email(*, token: str) -> User:
    try:
        data = signing.loads(
            token, salt=VERIFY_SALT, max_age=settings.AUTH_EMAIL_VERIFICATION_MAX_AGE_SECONDS
        )
        user_id = UUID(str(data["u"]))
        email = str(data["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise InvalidActionTokenError("verification") from None
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id, email=email).first()
        if user is None:
            raise InvalidActionTokenError("verification")
        if user.email_verified_at is None:
            user.email_verified_at = timezone.now()
            changed = ["email_verified"]
            if user.customer_status == CustomerStatus.PENDING:
                user.customer_status = CustomerStatus.ACTIVE
                changed.append("customer_status")
            user.save(update_fields=["email_verified_at", "customer_status"])
            _publish_updated(user, changed)
    return user


# --- log-in --------------------------------------------------------------------------------------
def user_login(*, email: str, password: str, ip: str, user_agent: str = "") -> User:
    """The user these credentials belong to; throttled per account and per IP.

    With ``user_agent`` (API log-ins, which start a session that records it), call
    before that session is started: a log-in from a user agent none of the account's
    sessions has used publishes ``auth.new_device_login``. The OAuth sign-in page
    passes none: its browser session records no user agent to compare with.
    """
    email = normalize_email(email)
    login_throttle_check(email=email, ip=ip)
    user = user_get_by_email(email=email)
    ok = _verify_password(user, password)
    if not ok or user is None or not user.is_active:
        login_failure_record(email=email, ip=ip)
        raise InvalidCredentialsError()
    login_success_record(email=email)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(last_login=timezone.now())
        if user_agent and user_known_device(user_id=user.pk, user_agent=user_agent) is False:
            publish(NewDeviceLogin(user_id=user.pk, ip=ip, user_agent=user_agent[:200]))
    return user


# --- passwords -----------------------------------------------------------------------------------
def password_change(*, user_id: UUID, current_password: str, new_password: str) -> None:
    with transaction.atomic():
        user = _lock_user(user_id)
        if not user.check_password(current_password):
            raise ApplicationError(
                "The current password is wrong.",
                code="validation_error",
                fields={"current_password": ["The current password is wrong."]},
            )
        _check_password(
            new_password, email=user.email, full_name=user.full_name, field="new_password"
        )
        user.set_password(new_password)
        user.save(update_fields=["password"])
        sessions_revoke_all(user_id=user.pk, reason="password_changed")
        publish(PasswordChanged(user_id=user.pk, via="change"))


def password_reset_token(*, user: User) -> str:
    return signing.dumps(
        {"u": str(user.pk), "t": default_token_generator.make_token(user)}, salt=RESET_SALT
    )


def password_reset_request(*, email: str) -> None:
    """E-mail a reset link if the address has an active account; otherwise do nothing visible."""
    email = normalize_email(email)
    user = user_get_by_email(email=email)
    if user is None or not user.is_active:
        signing.dumps({"u": email, "t": "-"}, salt=RESET_SALT)  # comparable work
        return
    with transaction.atomic():
        emails.password_reset_email(to=user.email, token=password_reset_token(user=user))


def password_reset_confirm(*, token: str, new_password: str) -> None:
    try:
        data = signing.loads(token, salt=RESET_SALT, max_age=settings.PASSWORD_RESET_TIMEOUT)
        user_id = UUID(str(data["u"]))
        check = str(data["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise InvalidActionTokenError("password reset") from None
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
        if user is None or not default_token_generator.check_token(user, check):
            raise InvalidActionTokenError("password reset")
        _check_password(
            new_password, email=user.email, full_name=user.full_name, field="new_password"
        )
        user.set_password(new_password)
        user.save(update_fields=["password"])
        sessions_revoke_all(user_id=user.pk, reason="password_reset")
        publish(PasswordChanged(user_id=user.pk, via="reset"))


# --- profile -------------------------------------------------------------------------------------
def user_profile_update(*, user_id: UUID, full_name: str) -> User:
    with transaction.atomic():
        user = _lock_user(user_id)
        full_name = full_name.strip()
        if user.full_name != full_name:
            user.full_name = full_name
            user.full_clean(exclude=["password"])
            user.save(update_fields=["full_name"])
            _publish_updated(user, ["full_name"])
    return user


def user_create_or_get(
    *, email: str, full_name: str, password: str | None = None
) -> tuple[User, bool]:
    """For other contexts (vendor onboarding): the account of ``email``, created if missing.

    A created account without a password gets a "choose your password" e-mail.
    """
    email = _check_email(email)
    existing = user_get_by_email(email=email)
    if existing is not None:
        return existing, False
    if password is not None:
        _check_password(password, email=email, full_name=full_name)
    try:
        with transaction.atomic():
            user = _create_user(
                email=email, password=password, full_name=full_name.strip(), via="facade"
            )
            if password is None:
                emails.password_reset_email(to=user.email, token=password_reset_token(user=user))
            else:
                emails.verification_email(to=user.email, token=email_verification_token(user=user))
            return user, True
    except IntegrityError:
        found = user_get_by_email(email=email)
        if found is None:
            raise
        return found, False


# --- roles and status ----------------------------------------------------------------------------
def _check_role(role: str) -> Role:
    if role not in Role.values:
        raise ApplicationError(
            f"Unknown role {role[:30]!r}.",
            code="validation_error",
            fields={"role": [f"One of {Role.values}."]},
        )
    return Role(role)


def role_grant(*, user_id: UUID, role: str, granted_by: UUID | None = None) -> bool:
    """Grant ``role``; returns False if the user already held it. Activates the matching status."""
    role_ = _check_role(role)
    with transaction.atomic():
        user = _lock_user(user_id)
        _, created = RoleAssignment.objects.get_or_create(
            user=user, role=role_, defaults={"granted_by": granted_by}
        )
        if not created:
            return False
        if role_ == Role.CUSTOMER and user.customer_status == CustomerStatus.NONE:
            user.customer_status = (
                CustomerStatus.ACTIVE if user.email_verified else CustomerStatus.PENDING
            )
            user.save(update_fields=["customer_status"])
        elif role_ == Role.VENDOR and user.vendor_status in {
            VendorStatus.NONE,
            VendorStatus.PENDING,
        }:
            user.vendor_status = VendorStatus.ACTIVE
            user.save(update_fields=["vendor_status"])
        elif role_ == Role.ADMIN and not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        publish(RoleGranted(user_id=user.pk, role=role_.value, granted_by=granted_by))
    return True


def role_revoke(*, user_id: UUID, role: str, revoked_by: UUID | None = None) -> bool:
    """Revoke ``role``; returns False if the user did not hold it. The last admin stays."""
    role_ = _check_role(role)
    with transaction.atomic():
        user = _lock_user(user_id)
        if role_ == Role.ADMIN:
            admins = RoleAssignment.objects.select_for_update().filter(role=Role.ADMIN)
            if list(admins.values_list("user_id", flat=True)) == [user.pk]:
                raise ConflictError(
                    "The last administrator cannot lose the admin role.", code="last_admin"
                )
        deleted, _ = RoleAssignment.objects.filter(user=user, role=role_).delete()
        if not deleted:
            return False
        if role_ == Role.CUSTOMER:
            user.customer_status = CustomerStatus.NONE
            user.save(update_fields=["customer_status"])
        elif role_ == Role.VENDOR:
            user.vendor_status = VendorStatus.NONE
            user.save(update_fields=["vendor_status"])
        elif role_ == Role.ADMIN and not user.is_superuser:
            user.is_staff = False
            user.save(update_fields=["is_staff"])
        publish(RoleRevoked(user_id=user.pk, role=role_.value, revoked_by=revoked_by))
    return True


def user_deactivate(*, user_id: UUID, reason: str = "") -> User:
    """Deactivate: no log-in, no refresh, every session and every third-party
    authorization revoked, status caches invalidated."""
    with transaction.atomic():
        user = _lock_user(user_id)
        if user.is_active:
            user.is_active = False
            user.save(update_fields=["is_active"])
            sessions_revoke_all(user_id=user.pk, reason="deactivated")
            authorizations_revoke_all(user_id=user.pk, by="deactivated")
            publish(UserDeactivated(user_id=user.pk, reason=reason[:200]))
    return user


@dataclass(frozen=True)
class StatusChange:
    customer_status: str | None = None
    vendor_status: str | None = None
    is_active: bool | None = None


def user_status_set(*, user_id: UUID, change: StatusChange) -> User:
    """Admin: set customer / vendor status or reactivate (deactivation: :func:`user_deactivate`)."""
    if change.is_active is False:
        return user_deactivate(user_id=user_id, reason="admin")
    with transaction.atomic():
        user = _lock_user(user_id)
        roles = user_role_names(user_id=user.pk)
        changed: list[str] = []
        if change.customer_status is not None and change.customer_status != user.customer_status:
            if change.customer_status not in CustomerStatus.values:
                raise ApplicationError(
                    "Unknown customer status.",
                    code="validation_error",
                    fields={"customer_status": [f"One of {CustomerStatus.values}."]},
                )
            if change.customer_status != CustomerStatus.NONE and Role.CUSTOMER not in roles:
                raise ConflictError("The user is not a customer.", code="role_missing")
            user.customer_status = change.customer_status
            changed.append("customer_status")
        if change.vendor_status is not None and change.vendor_status != user.vendor_status:
            if change.vendor_status not in VendorStatus.values:
                raise ApplicationError(
                    "Unknown vendor status.",
                    code="validation_error",
                    fields={"vendor_status": [f"One of {VendorStatus.values}."]},
                )
            if change.vendor_status != VendorStatus.NONE and Role.VENDOR not in roles:
                raise ConflictError("The user is not a vendor.", code="role_missing")
            user.vendor_status = change.vendor_status
            changed.append("vendor_status")
        if change.is_active and not user.is_active:
            user.is_active = True
            changed.append("is_active")
        if changed:
            user.save(
                update_fields=[
                    f for f in ("customer_status", "vendor_status", "is_active") if f in changed
                ]
            )
            _publish_updated(user, changed)
    return user
