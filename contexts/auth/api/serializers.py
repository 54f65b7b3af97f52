"""Input and output shapes of the auth API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from contexts.auth.models import CustomerStatus, Role, User, VendorStatus


class RegisterInput(serializers.Serializer[Any]):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    full_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")


class LoginInput(serializers.Serializer[Any]):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class RefreshInput(serializers.Serializer[Any]):
    refresh_token = serializers.CharField(max_length=200)


class TokenInput(serializers.Serializer[Any]):
    token = serializers.CharField(max_length=2000)


class PasswordChangeInput(serializers.Serializer[Any]):
    current_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class PasswordResetInput(serializers.Serializer[Any]):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmInput(serializers.Serializer[Any]):
    token = serializers.CharField(max_length=2000)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class ProfileUpdateInput(serializers.Serializer[Any]):
    full_name = serializers.CharField(max_length=150, allow_blank=True)


class RoleInput(serializers.Serializer[Any]):
    role = serializers.ChoiceField(choices=Role.choices)


class StatusInput(serializers.Serializer[Any]):
    customer_status = serializers.ChoiceField(choices=CustomerStatus.choices, required=False)
    vendor_status = serializers.ChoiceField(choices=VendorStatus.choices, required=False)
    is_active = serializers.BooleanField(required=False)


class DeactivateInput(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class TokenPairOutput(serializers.Serializer[Any]):
    access_token = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()
    refresh_token = serializers.CharField()
    refresh_expires_in = serializers.IntegerField()


class AcceptedOutput(serializers.Serializer[Any]):
    detail = serializers.CharField()


class UserOutput(serializers.ModelSerializer[User]):
    roles = serializers.SerializerMethodField()
    email_verified = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "full_name",
            "roles",
            "email_verified",
            "is_active",
            "customer_status",
            "vendor_status",
            "date_joined",
        ]
        read_only_fields = fields

    def get_roles(self, user: User) -> list[str]:
        return sorted(user.roles)


class ProviderOutput(serializers.Serializer[Any]):
    name = serializers.CharField()
    display_name = serializers.CharField()
    authorize_url = serializers.CharField()


class SocialStartOutput(serializers.Serializer[Any]):
    provider = serializers.CharField()
    authorization_url = serializers.CharField()
    state = serializers.CharField()
