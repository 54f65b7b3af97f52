"""The vendors API: one thin view per operation.

Every vendor-facing view resolves the caller's vendor from its membership (never
from the URL), so a vendor can only ever name its own stores and staff: another
vendor's ids answer 404. Vendor calls are rate limited per plan (``throttling.py``).
"""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from bazaar_platform.api.errors import ApplicationError, NotFoundError
from bazaar_platform.api.views import BazaarAPIView, BazaarListAPIView
from bazaar_platform.tokens.permissions import IsAdmin, IsVendor, principal_user_id
from contexts.reviews import facade as reviews
from contexts.subscriptions import facade as subscriptions
from contexts.vendors.api import serializers as s
from contexts.vendors.api.throttling import PlanRateThrottle, RegisterRateThrottle, VendorApiMixin
from contexts.vendors.models import Listing, StockMovement, Store, Vendor, VendorMember
from contexts.vendors.selectors import (
    listing_get_for_vendor,
    listing_list_for_vendor,
    member_get_for_vendor,
    member_list_for_vendor,
    movement_list_for_listing,
    store_get_for_vendor,
    store_list_for_vendor,
    storefront_get,
    vendor_get,
    vendor_list,
)
from contexts.vendors.services import listings as listing_services
from contexts.vendors.services import stock as stock_services
from contexts.vendors.services import stores as store_services
from contexts.vendors.services.access import (
    ALL_ROLES,
    MANAGERS,
    OWNER_ONLY,
    member_require,
    vendor_require_active,
)
from contexts.vendors.services.onboarding import (
    OnboardingError,
    RegistrationRequest,
    vendor_register,
)
from contexts.vendors.services.staff import staff_add, staff_remove, staff_role_change
from contexts.vendors.services.stock_import import stock_import
from contexts.vendors.services.vendors import (
    StoreInput,
    vendor_reinstate,
    vendor_suspend,
    vendor_update,
)

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def _validated(serializer_class: type[Any], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _member(request: Request, roles: frozenset[str] = ALL_ROLES) -> VendorMember:
    return member_require(user_id=principal_user_id(request.user), roles=roles)


def _store(member: VendorMember, store_id: UUID) -> Store:
    store = store_get_for_vendor(vendor_id=member.vendor_id, store_id=store_id)
    if store is None:
        raise NotFoundError("No such store.")
    return store


class VendorMemberApi(VendorApiMixin, BazaarAPIView):
    permission_classes = [IsVendor]
    throttle_classes = [PlanRateThrottle]


class VendorMemberListApi(VendorApiMixin, BazaarListAPIView):
    permission_classes = [IsVendor]
    throttle_classes = [PlanRateThrottle]


# --- public store pages ------------------------------------------------------------------------
def _rating(summary: reviews.RatingSummary) -> dict[str, Any]:
    return {
        "average": summary.average,
        "count": summary.count,
        "distribution": summary.distribution,
    }


class StorefrontApi(BazaarAPIView):
    """Anyone, anonymous included: an open store of an active vendor, with the published
    ratings of the store and of its vendor (from the reviews context)."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: s.StorefrontOutput}, summary="A store's public page")
    def get(self, request: Request, slug: str) -> Response:
        storefront = storefront_get(slug=slug)
        if storefront is None:
            raise NotFoundError("No open store has this address.", code="store_not_found")
        store = storefront.store
        store_rating = reviews.rating_summaries(subject_type="store", subject_ids=[store.pk])
        vendor_rating = reviews.rating_summaries(
            subject_type="vendor", subject_ids=[store.vendor_id]
        )
        return Response(
            s.StorefrontOutput(
                {
                    "id": store.pk,
                    "name": store.name,
                    "slug": store.slug,
                    "description": store.description,
                    "logo_url": store.logo.url if store.logo else None,
                    "city": store.city,
                    "country": store.country,
                    "currency": store.currency,
                    "listings_on_sale": storefront.listings_on_sale,
                    "rating": _rating(store_rating[store.pk]),
                    "vendor": {
                        "id": store.vendor_id,
                        "name": store.vendor.legal_name,
                        "rating": _rating(vendor_rating[store.vendor_id]),
                    },
                }
            ).data
        )


# --- registration ------------------------------------------------------------------------------
class VendorRegisterApi(VendorApiMixin, BazaarAPIView):
    """Anonymous or authenticated; the ``Idempotency-Key`` header is required."""

    permission_classes = [AllowAny]
    throttle_classes = [RegisterRateThrottle]

    @extend_schema(
        request=s.VendorRegisterInput,
        responses={201: s.VendorRegisterOutput},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                location=OpenApiParameter.HEADER,
                required=True,
                description="A unique key per registration (a UUID): repeating the request "
                "with it returns the first answer and creates nothing twice, or resumes an "
                "interrupted registration.",
            )
        ],
        summary="Register a vendor (account, vendor, store, subscription, payment link)",
    )
    def post(self, request: Request) -> Response:
        key = request.headers.get("Idempotency-Key", "")
        if not key:
            raise ApplicationError(
                "The Idempotency-Key header is required (a unique value per registration, "
                "such as a UUID).",
                code="idempotency_key_required",
            )
        if not IDEMPOTENCY_KEY.match(key):
            raise ApplicationError(
                "The Idempotency-Key must be 1-255 printable ASCII characters.",
                code="invalid_idempotency_key",
            )
        data = _validated(s.VendorRegisterInput, request)
        outcome = vendor_register(
            idempotency_key=key,
            request=RegistrationRequest(
                email=data.get("email", ""),
                full_name=data.get("full_name", ""),
                password=data.get("password"),
                legal_name=data["legal_name"],
                contact_email=data.get("contact_email", ""),
                contact_phone=data.get("contact_phone", ""),
                plan_code=data["plan"],
                store=StoreInput(**data["store"]),
            ),
            principal_user_id=principal_user_id(request.user),
        )
        headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
        if "error" in outcome.body:
            error = dict(outcome.body["error"])
            raise _StoredError(
                str(error.pop("message")),
                code=str(error.pop("code")),
                status_code=outcome.status_code,
                fields=error.pop("fields", {}),
                extra=error,
                headers=headers,
            )
        return Response(outcome.body, status=outcome.status_code, headers=headers)

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        if isinstance(exc, ApplicationError):
            retry = exc.extra.get("retry") or {}
            if retry.get("after_seconds"):
                response["Retry-After"] = str(retry["after_seconds"])
            for name, value in getattr(exc, "headers", {}).items():
                response[name] = value
        return response


class _StoredError(OnboardingError):
    def __init__(self, *args: Any, headers: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.headers = headers


# --- the caller's vendor -----------------------------------------------------------------------
class VendorMeApi(VendorMemberApi):
    @extend_schema(responses={200: s.MyVendorOutput}, summary="My vendor and my role in it")
    def get(self, request: Request) -> Response:
        member = _member(request)
        return Response(s.MyVendorOutput({"vendor": member.vendor, "role": member.role}).data)


class VendorUpdateApi(VendorMemberApi):
    @extend_schema(
        request=s.VendorUpdateInput, responses={200: s.VendorOutput}, summary="Edit my vendor"
    )
    def patch(self, request: Request) -> Response:
        member = _member(request, MANAGERS)
        data = _validated(s.VendorUpdateInput, request)
        vendor = vendor_update(vendor_id=member.vendor_id, **data)
        return Response(s.VendorOutput(vendor).data)


# --- stores ------------------------------------------------------------------------------------
class StoreListApi(VendorMemberListApi):
    serializer_class = s.StoreOutput

    def get_queryset(self) -> QuerySet[Store]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Store.objects.none()
        member = _member(self.request)
        return store_list_for_vendor(vendor_id=member.vendor_id).order_by("created_at")

    @extend_schema(summary="My stores")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class StoreCreateApi(VendorMemberApi):
    @extend_schema(
        request=s.StoreCreateInput,
        responses={201: s.StoreOutput},
        summary="Open another store (within the plan's store limit)",
    )
    def post(self, request: Request) -> Response:
        member = _member(request, MANAGERS)
        vendor_require_active(member)
        data = _validated(s.StoreCreateInput, request)
        store = store_services.store_create(vendor_id=member.vendor_id, data=StoreInput(**data))
        return Response(s.StoreOutput(store).data, status=status.HTTP_201_CREATED)


class StoreDetailApi(VendorMemberApi):
    @extend_schema(responses={200: s.StoreOutput}, summary="One of my stores")
    def get(self, request: Request, store_id: UUID) -> Response:
        return Response(s.StoreOutput(_store(_member(request), store_id)).data)


class StoreUpdateApi(VendorMemberApi):
    @extend_schema(
        request=s.StoreUpdateInput,
        responses={200: s.StoreOutput},
        summary="Edit a store, open or close it",
    )
    def patch(self, request: Request, store_id: UUID) -> Response:
        member = _member(request, MANAGERS)
        _store(member, store_id)
        changes = _validated(s.StoreUpdateInput, request)
        store = store_services.store_update(
            vendor_id=member.vendor_id, store_id=store_id, changes=changes
        )
        return Response(s.StoreOutput(store).data)


class StoreDeleteApi(VendorMemberApi):
    @extend_schema(responses={204: None}, summary="Delete a store")
    def delete(self, request: Request, store_id: UUID) -> Response:
        member = _member(request, MANAGERS)
        _store(member, store_id)
        store_services.store_delete(vendor_id=member.vendor_id, store_id=store_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class StoreLogoUploadApi(VendorMemberApi):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": s.LogoUploadInput},
        responses={200: s.StoreOutput},
        summary="Upload a store logo (PNG, JPEG or WebP)",
    )
    def put(self, request: Request, store_id: UUID) -> Response:
        member = _member(request, MANAGERS)
        _store(member, store_id)
        upload = request.FILES.get("logo")
        if upload is None:
            raise exceptions.ValidationError({"logo": ["Attach the image as the 'logo' part."]})
        store = store_services.store_logo_set(
            vendor_id=member.vendor_id, store_id=store_id, file=upload, size=upload.size
        )
        return Response(s.StoreOutput(store).data)


class StoreLogoDeleteApi(VendorMemberApi):
    @extend_schema(responses={200: s.StoreOutput}, summary="Remove a store logo")
    def delete(self, request: Request, store_id: UUID) -> Response:
        member = _member(request, MANAGERS)
        _store(member, store_id)
        store = store_services.store_logo_clear(vendor_id=member.vendor_id, store_id=store_id)
        return Response(s.StoreOutput(store).data)


# --- listings and stock ------------------------------------------------------------------------
def _listing(member: VendorMember, listing_id: UUID) -> Listing:
    listing = listing_get_for_vendor(vendor_id=member.vendor_id, listing_id=listing_id)
    if listing is None:
        raise NotFoundError("No such listing.")
    return listing


class ListingListApi(VendorMemberListApi):
    serializer_class = s.ListingOutput
    extra_query_params = frozenset({"store_id"})

    def get_queryset(self) -> QuerySet[Listing]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Listing.objects.none()
        member = _member(self.request)
        listings = listing_list_for_vendor(vendor_id=member.vendor_id)
        store_id = self.request.query_params.get("store_id")
        if store_id:
            try:
                listings = listings.filter(store_id=UUID(store_id))
            except ValueError:
                raise ApplicationError("store_id must be a UUID.", code="invalid_filter") from None
        return listings.order_by("created_at", "id")

    @extend_schema(
        summary="My listings",
        parameters=[OpenApiParameter("store_id", str, description="Only this store's listings.")],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class ListingCreateApi(VendorMemberApi):
    @extend_schema(
        request=s.ListingCreateInput,
        responses={201: s.ListingOutput},
        summary="List a catalogue variant in one of my stores (within the plan's product limit)",
    )
    def post(self, request: Request) -> Response:
        member = _member(request, MANAGERS)
        vendor_require_active(member)
        data = _validated(s.ListingCreateInput, request)
        listing = listing_services.listing_create(
            vendor_id=member.vendor_id,
            data=listing_services.ListingInput(**data),
            actor_user_id=member.user_id,
        )
        return Response(s.ListingOutput(listing).data, status=status.HTTP_201_CREATED)


class ListingDetailApi(VendorMemberApi):
    @extend_schema(responses={200: s.ListingOutput}, summary="One of my listings")
    def get(self, request: Request, listing_id: UUID) -> Response:
        return Response(s.ListingOutput(_listing(_member(request), listing_id)).data)


class ListingUpdateApi(VendorMemberApi):
    @extend_schema(
        request=s.ListingUpdateInput,
        responses={200: s.ListingOutput},
        summary="Edit a listing's price, condition, state, SKU or low-stock threshold",
    )
    def patch(self, request: Request, listing_id: UUID) -> Response:
        member = _member(request, MANAGERS)
        _listing(member, listing_id)
        changes = _validated(s.ListingUpdateInput, request)
        listing = listing_services.listing_update(
            vendor_id=member.vendor_id, listing_id=listing_id, changes=changes
        )
        return Response(s.ListingOutput(listing).data)


class ListingDeleteApi(VendorMemberApi):
    @extend_schema(responses={204: None}, summary="Delete a listing and its stock history")
    def delete(self, request: Request, listing_id: UUID) -> Response:
        member = _member(request, MANAGERS)
        _listing(member, listing_id)
        listing_services.listing_delete(vendor_id=member.vendor_id, listing_id=listing_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class StockReceiveApi(VendorMemberApi):
    @extend_schema(
        request=s.StockReceiveInput,
        responses={201: s.MovementOutput},
        summary="Record goods received for a listing",
    )
    def post(self, request: Request, listing_id: UUID) -> Response:
        member = _member(request)
        _listing(member, listing_id)
        data = _validated(s.StockReceiveInput, request)
        movement = stock_services.stock_receive(
            vendor_id=member.vendor_id,
            listing_id=listing_id,
            quantity=data["quantity"],
            reason=data.get("reason", ""),
            actor_user_id=member.user_id,
        )
        return Response(s.MovementOutput(movement).data, status=status.HTTP_201_CREATED)


class StockAdjustApi(VendorMemberApi):
    @extend_schema(
        request=s.StockAdjustInput,
        responses={201: s.MovementOutput},
        summary="Correct a listing's stock on hand, with the reason",
    )
    def post(self, request: Request, listing_id: UUID) -> Response:
        member = _member(request)
        _listing(member, listing_id)
        data = _validated(s.StockAdjustInput, request)
        movement = stock_services.stock_adjust(
            vendor_id=member.vendor_id,
            listing_id=listing_id,
            delta=data["delta"],
            reason=data["reason"],
            actor_user_id=member.user_id,
        )
        return Response(s.MovementOutput(movement).data, status=status.HTTP_201_CREATED)


class MovementListApi(VendorMemberListApi):
    serializer_class = s.MovementOutput

    def get_queryset(self) -> QuerySet[StockMovement]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return StockMovement.objects.none()
        member = _member(self.request)
        listing = _listing(member, self.kwargs["listing_id"])
        return movement_list_for_listing(vendor_id=member.vendor_id, listing_id=listing.pk)

    @extend_schema(summary="A listing's stock movements, newest first")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class StockImportApi(VendorMemberApi):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": s.StockImportInput},
        responses={200: s.StockImportOutput},
        summary="Import stock quantities from CSV (all rows or none)",
    )
    def post(self, request: Request) -> Response:
        member = _member(request, MANAGERS)
        upload = request.FILES.get("file")
        if upload is None:
            raise exceptions.ValidationError({"file": ["Attach the CSV as the 'file' part."]})
        limit = settings.VENDORS_STOCK_IMPORT_MAX_BYTES
        data = upload.read(limit + 1)
        result = stock_import(vendor_id=member.vendor_id, data=data, actor_user_id=member.user_id)
        return Response(s.StockImportOutput(result).data)


# --- staff -------------------------------------------------------------------------------------
class StaffListApi(VendorMemberListApi):
    serializer_class = s.MemberOutput

    def get_queryset(self) -> QuerySet[VendorMember]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return VendorMember.objects.none()
        member = _member(self.request)
        return member_list_for_vendor(vendor_id=member.vendor_id).order_by("created_at")

    @extend_schema(summary="My vendor's staff")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class StaffAddApi(VendorMemberApi):
    @extend_schema(
        request=s.StaffAddInput,
        responses={201: s.MemberOutput},
        summary="Add a member (within the plan's staff seats)",
    )
    def post(self, request: Request) -> Response:
        member = _member(request, OWNER_ONLY)
        vendor_require_active(member)
        data = _validated(s.StaffAddInput, request)
        added = staff_add(vendor_id=member.vendor_id, **data)
        return Response(s.MemberOutput(added).data, status=status.HTTP_201_CREATED)


class StaffRoleChangeApi(VendorMemberApi):
    @extend_schema(
        request=s.StaffRoleInput, responses={200: s.MemberOutput}, summary="Change a member's role"
    )
    def patch(self, request: Request, member_id: UUID) -> Response:
        member = _member(request, OWNER_ONLY)
        if member_get_for_vendor(vendor_id=member.vendor_id, member_id=member_id) is None:
            raise NotFoundError("No such member.")
        data = _validated(s.StaffRoleInput, request)
        changed = staff_role_change(
            vendor_id=member.vendor_id, member_id=member_id, role=data["role"]
        )
        return Response(s.MemberOutput(changed).data)


class StaffRemoveApi(VendorMemberApi):
    @extend_schema(responses={204: None}, summary="Remove a member")
    def delete(self, request: Request, member_id: UUID) -> Response:
        member = _member(request, OWNER_ONLY)
        if member_get_for_vendor(vendor_id=member.vendor_id, member_id=member_id) is None:
            raise NotFoundError("No such member.")
        staff_remove(vendor_id=member.vendor_id, member_id=member_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- staff (platform administrators) ----------------------------------------------------------
class VendorListApi(BazaarListAPIView):
    permission_classes = [IsAdmin]
    serializer_class = s.VendorOutput
    filterset_fields = ["status"]

    def get_queryset(self) -> QuerySet[Vendor]:
        return vendor_list().order_by("created_at")

    @extend_schema(summary="All vendors (administrators)")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class VendorSuspendApi(BazaarAPIView):
    permission_classes = [IsAdmin]

    @extend_schema(request=None, responses={200: s.VendorOutput}, summary="Suspend a vendor")
    def post(self, request: Request, vendor_id: UUID) -> Response:
        if vendor_get(vendor_id=vendor_id) is None:
            raise NotFoundError("No such vendor.")
        vendor_suspend(vendor_id=vendor_id, reason="staff")
        return Response(s.VendorOutput(vendor_get(vendor_id=vendor_id)).data)


class VendorReinstateApi(BazaarAPIView):
    permission_classes = [IsAdmin]

    @extend_schema(request=None, responses={200: s.VendorOutput}, summary="Lift a suspension")
    def post(self, request: Request, vendor_id: UUID) -> Response:
        if vendor_get(vendor_id=vendor_id) is None:
            raise NotFoundError("No such vendor.")
        sub = subscriptions.subscription_for_vendor(vendor_id=vendor_id)
        live = sub is not None and sub.status in ("active", "past_due")
        vendor = vendor_reinstate(vendor_id=vendor_id, subscription_live=live)
        return Response(s.VendorOutput(vendor).data)
