"""Checkout: the cart becomes one customer order, split into one vendor order per store.

Order of work, and why:

1. validate everything that needs no lock (key, address, cart, listings, currency, and
   the stock as last read: a cart that is already short is refused before the gateway
   is asked for anything);
2. ask the payments context for the payment link of the order-to-be (its id is chosen
   here): a network call, so never inside a transaction (see
   ``contexts.payments.facade``). A gateway that is down answers 503
   ``payment_gateway_unavailable`` before anything is written on our side: no order,
   no reservation, the cart as it was; the customer retries;
3. in ONE database transaction: write the order (with its payment link), its vendor
   orders and lines, reserve the stock through the vendors facade (all lines or none)
   and publish ``orders.order_placed``. ``OutOfStockError`` rolls the whole transaction
   back, so a losing checkout leaves no order and no reservation behind; its payment
   link (a pending payment nobody was shown) is never used.

The same key with the same body returns the same order; with another body it is
refused (422 ``idempotency_key_reused``).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from bazaar_platform.api.errors import ApplicationError, ConflictError
from bazaar_platform.events import publish
from contexts.auth import facade as auth
from contexts.orders.events import OrderPlaced
from contexts.orders.models import CartLine, CustomerOrder, OrderLine, VendorOrder
from contexts.orders.services.payloads import line_dict
from contexts.payments import facade as payments
from contexts.vendors import facade as vendors

ADDRESS_REQUIRED = ("full_name", "line1", "city", "postal_code", "country")
ADDRESS_OPTIONAL = ("line2", "region", "phone")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class CheckoutResult:
    order: CustomerOrder
    created: bool


def _invalid(
    message: str, fields: dict[str, list[str]], code: str = "validation_error"
) -> ApplicationError:
    return ApplicationError(message, code=code, fields=fields)


def address_validate(address: object) -> dict[str, str]:
    """A shipping address with every required field, strings only, nothing unknown."""
    if not isinstance(address, dict):
        raise _invalid("A shipping address is required.", {"shipping_address": ["Required."]})
    errors: dict[str, list[str]] = {}
    clean: dict[str, str] = {}
    for key, value in address.items():
        if key not in ADDRESS_REQUIRED and key not in ADDRESS_OPTIONAL:
            errors[f"shipping_address.{key}"] = ["Unknown field."]
        elif not isinstance(value, str) or len(value) > 200:
            errors[f"shipping_address.{key}"] = ["A text of at most 200 characters."]
        else:
            clean[key] = value.strip()
    for key in ADDRESS_REQUIRED:
        if not clean.get(key):
            errors.setdefault(f"shipping_address.{key}", ["This field is required."])
    country = clean.get("country", "").upper()
    if country and not _COUNTRY.match(country):
        errors["shipping_address.country"] = ["An ISO 3166-1 alpha-2 code, e.g. FR."]
    clean["country"] = country
    if errors:
        raise _invalid("The shipping address is incomplete or invalid.", errors, "invalid_address")
    return clean


def _fingerprint(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _key_validate(key: object) -> str:
    if not isinstance(key, str) or not key.strip() or len(key) > 255:
        raise ApplicationError(
            "An Idempotency-Key header of 1 to 255 characters is required.",
            code="idempotency_key_required",
        )
    return key


def _replayed(order: CustomerOrder, fingerprint: str) -> CustomerOrder:
    if order.request_fingerprint != fingerprint:
        raise ApplicationError(
            "This Idempotency-Key was used for another checkout request.",
            code="idempotency_key_reused",
            status_code=422,
        )
    return order


def _cart_lines_checked(cart_lines: list[CartLine]) -> dict[UUID, vendors.ListingInfo]:
    if not cart_lines:
        raise ApplicationError("The cart is empty.", code="cart_empty")
    infos = vendors.listings_get(listing_ids=[line.listing_id for line in cart_lines])
    unavailable = [
        str(line.listing_id)
        for line in cart_lines
        if line.listing_id not in infos or not infos[line.listing_id].is_purchasable
    ]
    if unavailable:
        raise ApplicationError(
            "Some listings in the cart cannot be bought any more; remove them first.",
            code="listing_unavailable",
            extra={"listing_ids": unavailable},
        )
    currencies = {infos[line.listing_id].currency for line in cart_lines}
    if len(currencies) > 1:
        raise ApplicationError(
            "A checkout is paid in one currency; the cart mixes " + ", ".join(sorted(currencies)),
            code="currency_mismatch",
        )
    changed = [
        {
            "listing_id": str(line.listing_id),
            "old": line.seen_price_minor,
            "new": infos[line.listing_id].price_minor,
        }
        for line in cart_lines
        if infos[line.listing_id].price_minor != line.seen_price_minor
        or infos[line.listing_id].currency != line.seen_currency
    ]
    if changed:
        # The customer confirms the new prices: they are now the seen ones.
        for line in cart_lines:
            info = infos[line.listing_id]
            CartLine.objects.filter(pk=line.pk).update(
                seen_price_minor=info.price_minor, seen_currency=info.currency
            )
        raise ConflictError(
            "Prices changed since the cart was read; check them and confirm again.",
            code="cart_changed",
            extra={"changes": changed},
        )
    return infos


def checkout(
    *,
    customer_user_id: UUID,
    idempotency_key: str,
    shipping_address: object,
) -> CheckoutResult:
    """Place an order from the customer's cart and attach a payment link to it."""
    key = _key_validate(idempotency_key)
    address = address_validate(shipping_address)
    fingerprint = _fingerprint({"shipping_address": address})
    existing = CustomerOrder.objects.filter(
        customer_user_id=customer_user_id, idempotency_key=key
    ).first()
    if existing is not None:
        return CheckoutResult(
            order=payment_link_ensure(order=_replayed(existing, fingerprint)), created=False
        )

    # the cart's lines in one query (a customer has at most one cart)
    cart_lines = list(CartLine.objects.filter(cart__customer_user_id=customer_user_id))
    infos = _cart_lines_checked(cart_lines)
    _stock_checked(cart_lines, infos)
    order_id = uuid.uuid4()
    currency = infos[cart_lines[0].listing_id].currency
    total = sum(infos[line.listing_id].price_minor * line.quantity for line in cart_lines)
    link = _payment_link(
        order_id=order_id, customer_user_id=customer_user_id, total=total, currency=currency
    )
    try:
        order = _place(
            order_id=order_id,
            customer_user_id=customer_user_id,
            key=key,
            fingerprint=fingerprint,
            address=address,
            cart_lines=cart_lines,
            infos=infos,
            link=link,
        )
    except IntegrityError:  # the same key raced in from a concurrent request
        order = _replayed(
            CustomerOrder.objects.get(customer_user_id=customer_user_id, idempotency_key=key),
            fingerprint,
        )
        return CheckoutResult(order=payment_link_ensure(order=order), created=False)
    return CheckoutResult(order=order, created=True)


def _stock_checked(cart_lines: list[CartLine], infos: dict[UUID, vendors.ListingInfo]) -> None:
    """Refuse (409 ``out_of_stock``, as the reservation would) a cart that is short on
    the stock as last read, before the gateway is asked for a link. The reservation
    under the row locks stays the judge: this only spares the obvious losers."""
    wanted: dict[UUID, int] = defaultdict(int)
    for line in cart_lines:
        wanted[line.listing_id] += line.quantity
    short = [
        {
            "listing_id": str(listing_id),
            "requested": quantity,
            "available": infos[listing_id].available,
        }
        for listing_id, quantity in sorted(wanted.items(), key=lambda item: str(item[0]))
        if infos[listing_id].available < quantity
    ]
    if short:
        raise vendors.OutOfStockError(short)


def _payment_link(
    *, order_id: UUID, customer_user_id: UUID, total: int, currency: str
) -> payments.PaymentLink:
    """The payment link of the order about to be placed (outside any transaction)."""
    return payments.payment_link_create(
        purpose="order",
        reference_id=order_id,
        amount_minor=total,
        currency=currency,
        description=f"Bazaar order {str(order_id)[:8]}",
        payer_email=auth.user_email(user_id=customer_user_id) or "",
        idempotency_key=f"order-{order_id}",
        success_url=settings.ORDERS_PAYMENT_SUCCESS_URL,
        cancel_url=settings.ORDERS_PAYMENT_CANCEL_URL,
        payer_user_id=customer_user_id,
    )


def _place(
    *,
    order_id: UUID,
    customer_user_id: UUID,
    key: str,
    fingerprint: str,
    address: dict[str, str],
    cart_lines: list[CartLine],
    infos: dict[UUID, vendors.ListingInfo],
    link: payments.PaymentLink,
) -> CustomerOrder:
    currency = infos[cart_lines[0].listing_id].currency
    by_store: dict[UUID, list[CartLine]] = defaultdict(list)
    for line in cart_lines:
        by_store[infos[line.listing_id].store_id].append(line)
    total = sum(infos[line.listing_id].price_minor * line.quantity for line in cart_lines)
    ttl = settings.ORDERS_PAYMENT_TTL_SECONDS
    now = timezone.now()
    order = CustomerOrder(
        id=order_id,
        customer_user_id=customer_user_id,
        currency=currency,
        total_minor=total,
        shipping_address=address,
        idempotency_key=key,
        request_fingerprint=fingerprint,
        payment_id=link.payment_id,
        payment_url=link.url,
        expires_at=now + timedelta(seconds=ttl),
    )
    vendor_orders: list[VendorOrder] = []
    placed: list[OrderLine] = []
    for store_id, store_lines in by_store.items():
        first = infos[store_lines[0].listing_id]
        vendor_order = VendorOrder(
            id=uuid.uuid4(),
            order=order,
            customer_user_id=customer_user_id,
            vendor_id=first.vendor_id,
            store_id=store_id,
            currency=currency,
            subtotal_minor=sum(
                infos[line.listing_id].price_minor * line.quantity for line in store_lines
            ),
        )
        vendor_lines = [
            OrderLine(
                id=uuid.uuid4(),
                vendor_order=vendor_order,
                listing_id=line.listing_id,
                product_id=infos[line.listing_id].product_id,
                variant_id=infos[line.listing_id].variant_id,
                store_id=store_id,
                vendor_id=first.vendor_id,
                sku=infos[line.listing_id].sku[:100],
                title=infos[line.listing_id].title[:300],
                condition=infos[line.listing_id].condition,
                unit_price_minor=infos[line.listing_id].price_minor,
                quantity=line.quantity,
            )
            for line in store_lines
        ]
        vendor_order._prefetched_objects_cache = {  # type: ignore[attr-defined]
            "lines": sorted(vendor_lines, key=lambda ol: ol.pk),
            "returns": [],
        }
        vendor_orders.append(vendor_order)
        placed += vendor_lines
    with transaction.atomic():
        order.save(force_insert=True)
        VendorOrder.objects.bulk_create(vendor_orders)
        OrderLine.objects.bulk_create(placed)
        # Raises OutOfStockError (409 "out_of_stock"): the whole block rolls back.
        vendors.stock_reserve(
            reference=str(order.pk),
            lines=[
                vendors.StockLine(listing_id=line.listing_id, quantity=line.quantity)
                for line in sorted(cart_lines, key=lambda cl: str(cl.listing_id))
            ],
            ttl_seconds=ttl,
        )
        CartLine.objects.filter(pk__in=[line.pk for line in cart_lines]).delete()
        publish(
            OrderPlaced(
                order_id=order.pk,
                customer_user_id=customer_user_id,
                currency=currency,
                total_minor=total,
                lines=[line_dict(line) for line in placed],
                expires_at=order.expires_at.isoformat(),
            )
        )
    # The answer is rendered from what was just written, not read back.
    order._prefetched_objects_cache = {  # type: ignore[attr-defined]
        "vendor_orders": sorted(vendor_orders, key=lambda vo: (-vo.created_at.timestamp(), vo.pk))
    }
    return order


def payment_link_ensure(*, order: CustomerOrder) -> CustomerOrder:
    """Give a pending order its payment link (a no-op when it has one or is not pending:
    every order placed since the link comes first has one; kept for replays of older ones).

    Called outside any transaction: the payments facade talks to the gateway.
    """
    if order.payment_id is not None or order.status != "pending_payment":
        return order
    profile = auth.user_profile(user_id=order.customer_user_id)
    link = payments.payment_link_create(
        purpose="order",
        reference_id=order.pk,
        amount_minor=order.total_minor,
        currency=order.currency,
        description=f"Bazaar order {str(order.pk)[:8]}",
        payer_email=profile.email if profile is not None else "",
        idempotency_key=f"order-{order.pk}",
        success_url=settings.ORDERS_PAYMENT_SUCCESS_URL,
        cancel_url=settings.ORDERS_PAYMENT_CANCEL_URL,
        payer_user_id=order.customer_user_id,
    )
    updated = CustomerOrder.objects.filter(pk=order.pk, payment_id__isnull=True).update(
        payment_id=link.payment_id, payment_url=link.url
    )
    if updated:
        order.payment_id, order.payment_url = link.payment_id, link.url
    else:  # a concurrent replay attached it first (the same link: same idempotency key)
        order.refresh_from_db()
    return order
