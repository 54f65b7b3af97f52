"""Third-party applications: registration by developers, secret rotation, deletion.

Client secrets are random (django-oauth-toolkit's generator, 128 characters), shown
once and stored only as a Django password hash (``hash_client_secret`` is on; the
toolkit's ``ClientSecretField`` hashes on save).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret

from bazaar_platform.api.errors import ApplicationError, ConflictError, NotFoundError
from bazaar_platform.events import publish
from contexts.auth.events import AppAccessRevoked
from contexts.auth.models import OAuthAccessToken, OAuthApplication, OAuthConsent
from contexts.auth.selectors import application_get_for_owner
from contexts.auth.services.oauth.revocation import revoking

GRANT_TYPES = {
    "authorization_code": OAuthApplication.GRANT_AUTHORIZATION_CODE,
    "client_credentials": OAuthApplication.GRANT_CLIENT_CREDENTIALS,
}
GRANT_TYPE_NAMES = {value: key for key, value in GRANT_TYPES.items()}
CLIENT_TYPES = (OAuthApplication.CLIENT_CONFIDENTIAL, OAuthApplication.CLIENT_PUBLIC)


@dataclass(frozen=True)
class IssuedCredentials:
    application: OAuthApplication
    client_secret: str | None  # the plain secret, this once; None for public clients


def _validation_error(exc: ValidationError) -> ApplicationError:
    fields = {
        ("non_field_errors" if name == "__all__" else name): [str(m) for m in messages]
        for name, messages in exc.message_dict.items()
    }
    name, messages = next(iter(fields.items()))
    return ApplicationError(f"{name}: {messages[0]}", code="validation_error", fields=fields)


def application_register(
    *,
    owner_id: UUID,
    name: str,
    redirect_uris: list[str],
    client_type: str,
    grant_type: str = "authorization_code",
    logo_url: str = "",
) -> IssuedCredentials:
    """Register an application owned by ``owner_id``; returns it with its secret (once)."""
    if grant_type not in GRANT_TYPES:
        raise ApplicationError(
            "grant_type must be authorization_code or client_credentials.",
            code="validation_error",
            fields={"grant_type": ["Unsupported grant type."]},
        )
    if client_type not in CLIENT_TYPES:
        raise ApplicationError(
            "client_type must be confidential or public.",
            code="validation_error",
            fields={"client_type": ["Must be confidential or public."]},
        )
    secret = generate_client_secret() if client_type == OAuthApplication.CLIENT_CONFIDENTIAL else ""
    application = OAuthApplication(
        user_id=owner_id,
        name=name.strip(),
        redirect_uris=" ".join(redirect_uris),
        client_type=client_type,
        authorization_grant_type=GRANT_TYPES[grant_type],
        client_secret=secret,
        hash_client_secret=True,
        logo_url=logo_url,
        algorithm=OAuthApplication.RS256_ALGORITHM,
        skip_authorization=False,
    )
    if grant_type == "authorization_code" and not redirect_uris:
        raise ApplicationError(
            "An authorization code application needs at least one redirect URI.",
            code="validation_error",
            fields={"redirect_uris": ["At least one is required."]},
        )
    try:
        application.full_clean()
    except ValidationError as exc:
        raise _validation_error(exc) from None
    with transaction.atomic():
        application.save()
    return IssuedCredentials(application=application, client_secret=secret or None)


def _owned(*, owner_id: UUID, client_id: str) -> OAuthApplication:
    application = application_get_for_owner(owner_id=owner_id, client_id=client_id)
    if application is None:
        raise NotFoundError("No such application.")
    return application


def application_secret_rotate(*, owner_id: UUID, client_id: str) -> IssuedCredentials:
    """A new secret for a confidential application; the old one stops working at once.

    Tokens already issued stay valid (they are bound to the application, not to the
    secret); refreshing them needs the new secret.
    """
    with transaction.atomic():
        application = _owned(owner_id=owner_id, client_id=client_id)
        if application.client_type != OAuthApplication.CLIENT_CONFIDENTIAL:
            raise ConflictError("A public client has no secret.", code="public_client")
        secret = generate_client_secret()
        application.client_secret = secret
        application.save(update_fields=["client_secret", "updated"])
    return IssuedCredentials(application=application, client_secret=secret)


def application_delete(*, application: OAuthApplication, by: str) -> None:
    """Delete an application: every user's consent goes (``auth.app_access_revoked``)
    and every token it holds is revoked (``auth.token_revoked`` per live access token).
    """
    with transaction.atomic(), revoking("application_deleted"):
        for consent in OAuthConsent.objects.filter(application=application):
            live = OAuthAccessToken.objects.filter(
                application=application, user_id=consent.user_id, expires__gt=timezone.now()
            ).count()
            publish(
                AppAccessRevoked(
                    user_id=consent.user_id,
                    client_id=application.client_id,
                    by=by,
                    revoked_tokens=live,
                )
            )
        application.delete()


def application_delete_owned(*, owner_id: UUID, client_id: str) -> None:
    """The owner deletes their application (``DELETE /api/v1/auth/apps/{client_id}``)."""
    with transaction.atomic():
        application_delete(application=_owned(owner_id=owner_id, client_id=client_id), by="owner")
