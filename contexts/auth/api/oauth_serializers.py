"""Input and output shapes of the OAuth management API (apps, authorizations, scopes)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from contexts.auth.models import OAuthApplication, OAuthConsent
from contexts.auth.services.oauth.applications import GRANT_TYPE_NAMES, GRANT_TYPES
from contexts.auth.services.oauth.scopes import CATALOGUE, scope_list


class ScopeOutput(serializers.Serializer[Any]):
    name = serializers.CharField()
    description = serializers.CharField()
    grants = serializers.CharField()
    requires_role = serializers.CharField(allow_null=True)
    for_applications = serializers.BooleanField()
    claims = serializers.ListField(child=serializers.CharField())


class AppRegisterInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    redirect_uris = serializers.ListField(
        child=serializers.CharField(max_length=500), max_length=20, required=False, default=list
    )
    client_type = serializers.ChoiceField(choices=OAuthApplication.CLIENT_TYPES)
    grant_type = serializers.ChoiceField(choices=list(GRANT_TYPES), default="authorization_code")
    logo_url = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ScopeBrief(serializers.Serializer[Any]):
    name = serializers.CharField()
    description = serializers.CharField()


class AppOutput(serializers.ModelSerializer[OAuthApplication]):
    grant_type = serializers.SerializerMethodField()
    redirect_uris = serializers.SerializerMethodField()

    class Meta:
        model = OAuthApplication
        fields = [
            "client_id",
            "name",
            "client_type",
            "grant_type",
            "redirect_uris",
            "logo_url",
            "created",
            "updated",
        ]

    def get_grant_type(self, obj: OAuthApplication) -> str:
        grant_type = str(obj.authorization_grant_type)
        return GRANT_TYPE_NAMES.get(grant_type, grant_type)

    def get_redirect_uris(self, obj: OAuthApplication) -> list[str]:
        return obj.redirect_uris.split()


class AppCredentialsOutput(AppOutput):
    client_secret = serializers.SerializerMethodField(
        help_text="Shown this once; only a hash is kept. null for public clients."
    )

    class Meta(AppOutput.Meta):
        fields = [*AppOutput.Meta.fields, "client_secret"]

    def get_client_secret(self, obj: OAuthApplication) -> str | None:
        secret: str | None = self.context.get("client_secret")
        return secret


class AuthorizationOutput(serializers.ModelSerializer[OAuthConsent]):
    client_id = serializers.CharField(source="application.client_id")
    name = serializers.CharField(source="application.name")
    logo_url = serializers.CharField(source="application.logo_url")
    owner = serializers.SerializerMethodField()
    scopes = serializers.SerializerMethodField()
    authorized_at = serializers.DateTimeField(source="created_at")

    class Meta:
        model = OAuthConsent
        fields = ["client_id", "name", "logo_url", "owner", "scopes", "authorized_at", "updated_at"]

    def get_owner(self, obj: OAuthConsent) -> str:
        owner = obj.application.user
        return (owner.full_name or owner.email) if owner else "Bazaar staff"

    def get_scopes(self, obj: OAuthConsent) -> list[dict[str, str]]:
        return [
            {"name": name, "description": CATALOGUE[name].description}
            for name in scope_list(obj.scope)
            if name in CATALOGUE
        ]
