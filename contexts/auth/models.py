"""Accounts: a user is an e-mail address with a UUID, holding any of three roles.

Also the context's credentials: rotating refresh tokens (hashed), the signing keys
of access tokens (private keys encrypted), and linked social identities.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    VENDOR = "vendor", "Vendor"
    CUSTOMER = "customer", "Customer"


class CustomerStatus(models.TextChoices):
    NONE = "none", "Not a customer"
    PENDING = "pending", "Pending e-mail verification"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"


class VendorStatus(models.TextChoices):
    NONE = "none", "Not a vendor"
    PENDING = "pending", "Pending approval"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        if not email:
            raise ValueError("users need an e-mail address")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Can log in to the staff admin.")
    email_verified_at = models.DateTimeField(null=True, blank=True)
    date_joined = models.DateTimeField(default=timezone.now)
    customer_status = models.CharField(
        max_length=16, choices=CustomerStatus.choices, default=CustomerStatus.NONE
    )
    vendor_status = models.CharField(
        max_length=16, choices=VendorStatus.choices, default=VendorStatus.NONE
    )

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    @property
    def roles(self) -> frozenset[str]:
        """Role names held (read once per instance). The platform's guards read this
        for session-authenticated users; token users carry roles in their token."""
        cached: frozenset[str] | None = getattr(self, "_roles_cache", None)
        if cached is None:
            cached = frozenset(self.role_assignments.values_list("role", flat=True))
            self._roles_cache = cached
        return cached

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


class RoleAssignment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=16, choices=Role.choices)
    granted_at = models.DateTimeField(default=timezone.now)
    granted_by = models.UUIDField(
        null=True, blank=True, help_text="The admin who granted it, if any."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="role_assignment_user_role_uniq")
        ]
        ordering = ["granted_at"]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.role}"


class RefreshToken(models.Model):
    """One refresh token of a rotation family (one login session).

    Only a SHA-256 of the token is stored: refresh tokens are 256-bit random
    strings, so a fast hash is enough (nothing to brute-force), and a database
    leak yields no usable token. Using a token marks it ``rotated`` and mints its
    successor in the same family; presenting a rotated token again means it was
    stolen (or replayed), and the whole family is revoked.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="refresh_tokens")
    family_id = models.UUIDField(db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    family_expires_at = models.DateTimeField(
        help_text="Absolute end of the session, however often it rotates."
    )
    rotated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=40, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "revoked_at"], name="refresh_user_revoked_idx")]

    def __str__(self) -> str:
        return f"refresh {self.id} (family {self.family_id})"


class SigningKey(models.Model):
    """An access-token signing key pair. The private key is stored encrypted.

    Life cycle: ``active`` (signs new tokens; exactly one) -> ``retired`` (signs no
    more, still published in the JWKS until ``publish_until`` so tokens it signed
    verify until they expire) -> ``expired`` (left out of the JWKS; its private
    key is erased).
    """

    class State(models.TextChoices):
        ACTIVE = "active"
        RETIRED = "retired"
        EXPIRED = "expired"

    kid = models.CharField(primary_key=True, max_length=64, help_text="RFC 7638 JWK thumbprint.")
    algorithm = models.CharField(max_length=10, default="RS256")
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.ACTIVE, db_index=True
    )
    public_jwk = models.JSONField()
    private_key_encrypted = models.TextField(
        blank=True, help_text="Fernet token of the PKCS#8 PEM."
    )
    source = models.CharField(
        max_length=20, default="generated", help_text="generated | configured"
    )
    created_at = models.DateTimeField(default=timezone.now)
    activated_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    publish_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["state"], condition=models.Q(state="active"), name="signing_key_one_active"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kid} ({self.state})"


class SocialIdentity(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="social_identities")
    provider = models.CharField(max_length=30)
    subject = models.CharField(max_length=255, help_text="The provider's stable user id.")
    email = models.EmailField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "subject"], name="social_identity_provider_subject_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.subject}"
