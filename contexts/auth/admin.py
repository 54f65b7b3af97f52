from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from contexts.auth.models import RefreshToken, RoleAssignment, SigningKey, SocialIdentity, User


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
