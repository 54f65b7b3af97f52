"""Base API views every context builds on.

They refuse query parameters they do not understand: a typo such as ``?catgory=3``
silently returning the unfiltered list is a bug the client never sees otherwise.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.views import APIView

from bazaar_platform.api.pagination import CursorPagination, LimitOffsetPagination

# Parameters any endpoint accepts: response format negotiation is DRF's own.
_ALWAYS_ALLOWED = frozenset({"format"})


class StrictQueryParamsMixin(APIView):
    """Reject unknown query parameters with a 400 naming them."""

    #: Parameters this view reads itself, beyond filters, ordering and pagination.
    extra_query_params: ClassVar[frozenset[str]] = frozenset()

    def allowed_query_params(self) -> set[str]:
        allowed = set(_ALWAYS_ALLOWED) | set(self.extra_query_params)
        paginator_class = getattr(self, "pagination_class", None)
        if paginator_class is not None:
            if issubclass(paginator_class, LimitOffsetPagination):
                allowed |= {paginator_class.limit_query_param, paginator_class.offset_query_param}
            elif issubclass(paginator_class, CursorPagination):
                allowed |= {paginator_class.cursor_query_param, "limit"}
        filterset_class = getattr(self, "filterset_class", None)
        if filterset_class is not None:
            allowed |= set(filterset_class.base_filters)
        for name in getattr(self, "filterset_fields", None) or ():
            allowed.add(name)
        if getattr(self, "ordering_fields", None):
            allowed.add("ordering")
        if getattr(self, "search_fields", None):
            allowed.add("search")
        return allowed

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        unknown = sorted(set(request.query_params) - self.allowed_query_params())
        if unknown:
            raise ValidationError(
                {name: ["Unknown query parameter."] for name in unknown},
                code="unknown_query_parameter",
            )


class BazaarAPIView(StrictQueryParamsMixin, APIView):
    """Base for single-operation views (``<Entity><Action>Api``)."""

    pagination_class = None


class BazaarListAPIView(StrictQueryParamsMixin, generics.ListAPIView):
    """Base for paginated, filterable list endpoints."""
