"""Accounts: a user is an e-mail address with a UUID, holding any of three roles.

Also the context's credentials: rotating refresh tokens (hashed), the signing keys
of access tokens (private keys encrypted), linked social identities, and the OAuth
provider's applications, grants, tokens and remembered consents (django-oauth-toolkit's
abstract models, swapped in here so the context owns them).
"""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any, ClassVar
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from oauth2_provider.models import (
    AbstractAccessToken,
    AbstractApplication,
    AbstractGrant,
    AbstractIDToken,
    AbstractRefreshToken,
    ApplicationManager,
)


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


# django-stubs cannot resolve the toolkit's "%(app_label)s_%(class)s" related names.
class User(AbstractBaseUser, PermissionsMixin):  # type: ignore[django-manager-missing]
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


# --- OAuth 2.0 / OpenID Connect provider ---------------------------------------------------------
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def redirect_uri_problems(uri: str) -> list[str]:
    """Why ``uri`` cannot be registered: https only (http only on a loopback host),
    absolute, no fragment, no user info, no wildcard (RFC 9700 §2.1, §4.1.1)."""
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return [f"{uri!r} is not a valid URL."]
    problems = []
    if parts.scheme == "http":
        if not is_loopback_host(parts.hostname):
            problems.append(f"{uri!r}: http is allowed only for localhost / loopback addresses.")
    elif parts.scheme != "https":
        problems.append(f"{uri!r}: the scheme must be https (or http on localhost).")
    if not parts.hostname:
        problems.append(f"{uri!r} has no host.")
    if "#" in uri:
        problems.append(f"{uri!r} must not contain a fragment.")
    if "@" in parts.netloc:
        problems.append(f"{uri!r} must not contain user information.")
    if "*" in uri:
        problems.append(f"{uri!r}: wildcards are not allowed; register exact URIs.")
    if any(ch.isspace() for ch in uri):
        problems.append(f"{uri!r} must not contain whitespace.")
    return problems


class OAuthApplication(AbstractApplication):
    """A third-party client. ``user`` is its owner, the developer who registered it.

    Only two shapes are allowed: ``authorization-code`` (public or confidential; refresh
    tokens come with it) and ``client-credentials`` (confidential, server-to-server).
    ID tokens are RS256, signed by the auth context's key store (never HS256 with the
    client secret, which is stored hashed anyway).
    """

    algorithm = models.CharField(
        max_length=5,
        choices=[(AbstractApplication.RS256_ALGORITHM, "RSA with SHA-2 256")],
        default=AbstractApplication.RS256_ALGORITHM,
        blank=True,
    )
    logo_url = models.URLField(max_length=500, blank=True)

    objects = ApplicationManager()

    class Meta(AbstractApplication.Meta):
        verbose_name = "OAuth application"
        ordering = ["name", "id"]

    def natural_key(self) -> tuple[str]:
        return (self.client_id,)

    def get_allowed_schemes(self) -> list[str]:
        # https everywhere; http passes only for loopback hosts, enforced by clean().
        return ["https", "http"]

    def clean(self) -> None:
        errors: dict[str, list[Any]] = {}
        try:
            super().clean()
        except ValidationError as exc:
            errors = exc.update_error_dict({})
        # The toolkit wants OIDC_RSA_PRIVATE_KEY for RS256; our validator signs with the
        # rotating key store instead, so that complaint does not apply.
        errors.pop("algorithm", None)
        if self.algorithm != self.RS256_ALGORITHM:
            errors.setdefault("algorithm", []).append("Only RS256 is supported.")
        grant_types = (self.GRANT_AUTHORIZATION_CODE, self.GRANT_CLIENT_CREDENTIALS)
        if self.authorization_grant_type not in grant_types:
            errors.setdefault("authorization_grant_type", []).append(
                "Only the authorization code and client credentials grants are offered."
            )
        if (
            self.authorization_grant_type == self.GRANT_CLIENT_CREDENTIALS
            and self.client_type != self.CLIENT_CONFIDENTIAL
        ):
            errors.setdefault("client_type", []).append(
                "Client credentials need a confidential client (one that can keep a secret)."
            )
        for uri in self.redirect_uris.split():
            for problem in redirect_uri_problems(uri):
                errors.setdefault("redirect_uris", []).append(problem)
        if self.logo_url and urlsplit(self.logo_url).scheme != "https":
            errors.setdefault("logo_url", []).append("The logo URL must use https.")
        if self.client_id in settings.BAZAAR_TOKENS.get("FIRST_PARTY_CLIENT_IDS", ()):
            errors.setdefault("client_id", []).append("This client id is reserved.")
        if errors:
            raise ValidationError(errors)

    @property
    def jwk_key(self) -> Any:
        raise NotImplementedError("ID tokens are signed by the key store (services.oauth)")


class OAuthGrant(AbstractGrant):
    """An authorization code. Spent codes are kept (``used_at``) for the replay window:
    a second use is refused and revokes the token family the first use produced."""

    used_at = models.DateTimeField(null=True, blank=True)
    replayed_at = models.DateTimeField(null=True, blank=True)
    token_family = models.UUIDField(
        null=True, blank=True, help_text="The refresh-token family its exchange produced."
    )

    class Meta(AbstractGrant.Meta):
        verbose_name = "OAuth authorization code"


class OAuthIDToken(AbstractIDToken):
    class Meta(AbstractIDToken.Meta):
        verbose_name = "OpenID Connect ID token"


class OAuthAccessToken(AbstractAccessToken):
    """The row behind a third-party JWT access token: only the JWT's SHA-256 checksum is
    stored (the JWT itself is not), plus its ``jti``, which revocation puts on the
    platform's deny list."""

    jti = models.CharField(max_length=64, unique=True, null=True, blank=True)

    class Meta(AbstractAccessToken.Meta):
        verbose_name = "OAuth access token"


class OAuthRefreshToken(AbstractRefreshToken):
    class Meta(AbstractRefreshToken.Meta):
        verbose_name = "OAuth refresh token"


class OAuthConsent(models.Model):
    """A user's remembered consent to an application: the union of the scopes approved.

    A later authorization request for a subset is approved without asking again; asking
    for more shows the consent page. Revoking it (the user, or the app's deletion)
    revokes every token of that (user, application).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="oauth_consents")
    application = models.ForeignKey(
        OAuthApplication, on_delete=models.CASCADE, related_name="consents"
    )
    scope = models.TextField(help_text="Approved scopes, space-separated, sorted.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "OAuth consent"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "application"], name="oauth_consent_user_application_uniq"
            )
        ]
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"{self.user_id} -> {self.application_id}: {self.scope}"

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())
