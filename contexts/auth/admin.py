from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from contexts.auth.models import (
    OAuthApplication,
    OAuthConsent,
    RefreshToken,
    RoleAssignment,
    SigningKey,
    SocialIdentity,
    User,
)


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    readonly_fields = ("granted_at", "granted_by")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = (
        "email",
        "full_name",
        "is_active",
        "customer_status",
        "vendor_status",
        "date_joined",
    )
    search_fields = ("email", "full_name")
    list_filter = ("is_active", "is_staff", "customer_status", "vendor_status")
    inlines = (RoleAssignmentInline,)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("full_name", "email_verified_at")}),
        ("Status", {"fields": ("customer_status", "vendor_status")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(SigningKey)
class SigningKeyAdmin(admin.ModelAdmin):
    list_display = ("kid", "state", "source", "activated_at", "retired_at", "publish_until")
    list_filter = ("state",)
    exclude = ("private_key_encrypted",)
    readonly_fields = (
        "kid",
        "algorithm",
        "state",
        "public_jwk",
        "source",
        "created_at",
        "activated_at",
        "retired_at",
        "publish_until",
    )

    def has_add_permission(self, request: object) -> bool:  # keys come from rotation only
        return False


@admin.register(RefreshToken)
class RefreshTokenAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "user",
        "family_id",
        "created_at",
        "expires_at",
        "rotated_at",
        "revoked_at",
        "revoked_reason",
    )
    list_filter = ("revoked_reason",)
    exclude = ("token_hash",)
    search_fields = ("user__email", "family_id")


@admin.register(SocialIdentity)
class SocialIdentityAdmin(admin.ModelAdmin):
    list_display = ("provider", "subject", "user", "email", "last_login_at")
    list_filter = ("provider",)
    search_fields = ("user__email", "subject", "email")


# --- OAuth provider -------------------------------------------------------------------------
# django-oauth-toolkit's admin module registers the swapped application model with this
# class (OAUTH2_PROVIDER["APPLICATION_ADMIN_CLASS"]); the token and grant admins are the
# toolkit's (tokens are shown masked and revoked through its "revoke" actions).
class OAuthApplicationAdmin(admin.ModelAdmin):
    """Staff see and manage every third-party application.

    Applications are registered through ``/api/v1/auth/apps`` (the secret is shown once
    there), not here. Deleting one goes through the service, so every token it holds is
    revoked and its users are told (``auth.app_access_revoked``).
    """

    list_display = (
        "name",
        "client_id",
        "user",
        "client_type",
        "authorization_grant_type",
        "skip_authorization",
        "created",
    )
    list_filter = ("client_type", "authorization_grant_type", "skip_authorization")
    search_fields = ("name", "client_id", "user__email")
    raw_id_fields = ("user",)
    readonly_fields = ("client_id", "created", "updated", "algorithm", "registration_source")
    exclude = ("client_secret", "hash_client_secret", "cimd_expires_at")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        # Its tokens and codes go with it through the service (revoked, announced); the
        # toolkit's token admins forbid a raw delete, which must not block this one.
        deleted, counts, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        from contexts.auth.services.oauth.applications import application_delete

        application_delete(application=obj, by="staff")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for application in queryset:
            self.delete_model(request, application)


@admin.register(OAuthConsent)
class OAuthConsentAdmin(admin.ModelAdmin):
    list_display = ("user", "application", "scope", "created_at", "updated_at")
    search_fields = ("user__email", "application__name", "application__client_id")
    raw_id_fields = ("user", "application")
    readonly_fields = ("user", "application", "scope", "created_at", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        from contexts.auth.services.oauth.consent import authorization_revoke

        authorization_revoke(user_id=obj.user_id, application=obj.application, by="staff")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for consent in queryset.select_related("application"):
            self.delete_model(request, consent)


__all__ = ["OAuthApplication", "OAuthApplicationAdmin"]
