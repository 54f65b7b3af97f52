"""The OAuth management API (envelope format): scope catalogue, developers' applications,
users' authorizations. One thin view per operation; first-party callers only for
everything that manages credentials or grants."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from bazaar_platform.api.errors import NotFoundError
from bazaar_platform.api.views import BazaarAPIView
from bazaar_platform.tokens.permissions import FirstPartyOnly
from contexts.auth.api import oauth_serializers as s
from contexts.auth.api.views import _me, _validated
from contexts.auth.selectors import (
    application_get,
    application_get_for_owner,
    application_list_for_owner,
    consent_list_for_user,
)
from contexts.auth.services.oauth import applications, consent
from contexts.auth.services.oauth.scopes import catalogue_document


class ScopeListApi(BazaarAPIView):
    """The published scope catalogue (no authentication)."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: s.ScopeOutput(many=True)}, summary="OAuth scope catalogue")
    def get(self, request: Request) -> Response:
        return Response(catalogue_document())


class FirstPartyApi(BazaarAPIView):
    permission_classes = [FirstPartyOnly]


def _credentials(issued: applications.IssuedCredentials, *, status_code: int) -> Response:
    data = s.AppCredentialsOutput(
        issued.application, context={"client_secret": issued.client_secret}
    ).data
    return Response(data, status=status_code, headers={"Cache-Control": "no-store"})


class AppsApi(FirstPartyApi):
    """``GET``: my applications. ``POST``: register one (the secret is in this answer only)."""

    @extend_schema(responses={200: s.AppOutput(many=True)}, summary="My OAuth applications")
    def get(self, request: Request) -> Response:
        return Response(
            s.AppOutput(application_list_for_owner(owner_id=_me(request)), many=True).data
        )

    @extend_schema(
        request=s.AppRegisterInput,
        responses={201: s.AppCredentialsOutput},
        summary="Register an OAuth application",
    )
    def post(self, request: Request) -> Response:
        data = _validated(s.AppRegisterInput, request)
        issued = applications.application_register(owner_id=_me(request), **data)
        return _credentials(issued, status_code=status.HTTP_201_CREATED)


class AppDetailApi(FirstPartyApi):
    @extend_schema(responses={200: s.AppOutput}, summary="One of my OAuth applications")
    def get(self, request: Request, client_id: str) -> Response:
        application = application_get_for_owner(owner_id=_me(request), client_id=client_id)
        if application is None:
            raise NotFoundError("No such application.")
        return Response(s.AppOutput(application).data)

    @extend_schema(responses={204: None}, summary="Delete (revoke) one of my applications")
    def delete(self, request: Request, client_id: str) -> Response:
        applications.application_delete_owned(owner_id=_me(request), client_id=client_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AppSecretRotateApi(FirstPartyApi):
    @extend_schema(
        request=None, responses={200: s.AppCredentialsOutput}, summary="Rotate the client secret"
    )
    def post(self, request: Request, client_id: str) -> Response:
        issued = applications.application_secret_rotate(owner_id=_me(request), client_id=client_id)
        return _credentials(issued, status_code=status.HTTP_200_OK)


class AuthorizationListApi(FirstPartyApi):
    @extend_schema(
        responses={200: s.AuthorizationOutput(many=True)},
        summary="Applications I have authorised",
    )
    def get(self, request: Request) -> Response:
        consents = consent_list_for_user(user_id=_me(request))
        return Response(s.AuthorizationOutput(consents, many=True).data)


class AuthorizationRevokeApi(FirstPartyApi):
    @extend_schema(responses={204: None}, summary="Withdraw an application's access")
    def delete(self, request: Request, client_id: str) -> Response:
        application = application_get(client_id=client_id)
        if application is None:
            raise NotFoundError("You have not authorised this application.")
        consent.authorization_revoke(user_id=_me(request), application=application, by="user")
        return Response(status=status.HTTP_204_NO_CONTENT)
