"""Carts: one per customer, or per anonymous visitor (found by a signed token).

Lines name store listings. Reading a cart re-checks every listing through the vendors
facade (price, purchasable, available quantity) and reports what changed since the
customer last looked; the seen price is then brought up to date, so a change is
reported once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction

from bazaar_platform.api.errors import ApplicationError, NotFoundError
from contexts.orders.models import Cart, CartLine
from contexts.vendors import facade as vendors

TOKEN_SALT = "orders.cart"  # noqa: S105 - a signing salt, not a secret


@dataclass(frozen=True)
class CartChange:
    listing_id: UUID
    kind: str  # "price_changed" | "unavailable" | "quantity_reduced" | "removed"
    message: str
    old: int | None = None
    new: int | None = None


@dataclass(frozen=True)
class CartLineView:
    listing_id: UUID
    quantity: int
    title: str
    sku: str
    store_id: UUID | None
    vendor_id: UUID | None
    product_id: UUID | None
    unit_price_minor: int
    currency: str
    available: int
    is_purchasable: bool

    @property
    def total_minor(self) -> int:
        return self.unit_price_minor * self.quantity


@dataclass(frozen=True)
class CartView:
    cart_id: UUID
    token: str
    lines: tuple[CartLineView, ...]
    changes: tuple[CartChange, ...] = field(default_factory=tuple)

    @property
    def currency(self) -> str:
        currencies = {line.currency for line in self.lines}
        return currencies.pop() if len(currencies) == 1 else ""

    @property
    def total_minor(self) -> int:
        return sum(line.total_minor for line in self.lines if line.is_purchasable)


def cart_token(cart: Cart) -> str:
    return signing.dumps(str(cart.pk), salt=TOKEN_SALT)


def cart_from_token(token: str) -> Cart | None:
    """The anonymous cart a token names (``None`` for a bad, expired or claimed one)."""
    try:
        cart_id = signing.loads(
            token, salt=TOKEN_SALT, max_age=settings.ORDERS_CART_TOKEN_MAX_AGE_SECONDS
        )
    except signing.BadSignature:
        return None
    try:
        return Cart.objects.filter(pk=UUID(str(cart_id)), customer_user_id__isnull=True).first()
    except ValueError:
        return None


def cart_for_customer(*, customer_user_id: UUID) -> Cart:
    cart = Cart.objects.filter(customer_user_id=customer_user_id).first()
    if cart is not None:
        return cart
    try:
        with transaction.atomic():
            return Cart.objects.create(customer_user_id=customer_user_id)
    except IntegrityError:  # a concurrent first request created it
        return Cart.objects.get(customer_user_id=customer_user_id)


def cart_resolve(*, customer_user_id: UUID | None, token: str | None) -> Cart:
    """The caller's cart. A logged-in customer presenting an anonymous cart's token gets
    that cart merged into theirs (the visitor just logged in)."""
    anonymous = cart_from_token(token) if token else None
    if customer_user_id is None:
        if anonymous is not None:
            return anonymous
        return Cart.objects.create()
    cart = cart_for_customer(customer_user_id=customer_user_id)
    if anonymous is not None:
        cart_merge(source=anonymous, target=cart)
    return cart


def _quantity_check(quantity: object) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise ApplicationError("Quantity must be a whole number.", code="invalid_quantity")
    limit = settings.ORDERS_MAX_LINE_QUANTITY
    if quantity <= 0 or quantity > limit:
        raise ApplicationError(
            f"Quantity must be between 1 and {limit}.",
            code="invalid_quantity",
            fields={"quantity": [f"Must be between 1 and {limit}."]},
        )
    return quantity


def _listing(listing_id: UUID) -> vendors.ListingInfo:
    info = vendors.listings_get(listing_ids=[listing_id]).get(listing_id)
    if info is None:
        raise NotFoundError("There is no such listing.", code="listing_not_found")
    if not info.is_purchasable:
        raise ApplicationError(
            "This listing cannot be bought right now.", code="listing_unavailable"
        )
    return info


def cart_line_set(*, cart: Cart, listing_id: UUID, quantity: int, add: bool = False) -> CartLine:
    """Put ``quantity`` of a listing in the cart (``add=True`` adds to what is there)."""
    quantity = _quantity_check(quantity)
    info = _listing(listing_id)
    with transaction.atomic():
        Cart.objects.select_for_update().filter(pk=cart.pk).first()
        line = CartLine.objects.filter(cart=cart, listing_id=listing_id).first()
        if line is None:
            if cart.lines.count() >= settings.ORDERS_MAX_CART_LINES:
                raise ApplicationError(
                    f"A cart holds at most {settings.ORDERS_MAX_CART_LINES} lines.",
                    code="cart_full",
                )
            line = CartLine(cart=cart, listing_id=listing_id, quantity=0)
        new_quantity = _quantity_check(line.quantity + quantity if add else quantity)
        line.quantity = new_quantity
        line.seen_price_minor = info.price_minor
        line.seen_currency = info.currency
        line.save()
        cart.save(update_fields=["updated_at"])
    return line


def cart_line_remove(*, cart: Cart, listing_id: UUID) -> None:
    deleted, _ = CartLine.objects.filter(cart=cart, listing_id=listing_id).delete()
    if not deleted:
        raise NotFoundError("This listing is not in the cart.", code="not_in_cart")


def cart_clear(*, cart: Cart) -> None:
    CartLine.objects.filter(cart=cart).delete()


def cart_merge(*, source: Cart, target: Cart) -> None:
    """Move an anonymous cart's lines into a customer's cart (quantities add up, capped)."""
    with transaction.atomic():
        locked = Cart.objects.select_for_update().filter(pk=source.pk).first()
        if locked is None:
            return  # merged by a concurrent request
        existing = {line.listing_id: line for line in target.lines.all()}
        for line in locked.lines.all():
            mine = existing.get(line.listing_id)
            if mine is None:
                CartLine.objects.create(
                    cart=target,
                    listing_id=line.listing_id,
                    quantity=line.quantity,
                    seen_price_minor=line.seen_price_minor,
                    seen_currency=line.seen_currency,
                )
            else:
                mine.quantity = min(
                    mine.quantity + line.quantity, settings.ORDERS_MAX_LINE_QUANTITY
                )
                mine.save(update_fields=["quantity"])
        locked.delete()


def cart_read(*, cart: Cart) -> CartView:
    """The cart with today's prices and availability, and what changed since last read."""
    lines = list(cart.lines.all())
    infos = vendors.listings_get(listing_ids=[line.listing_id for line in lines])
    views: list[CartLineView] = []
    changes: list[CartChange] = []
    for line in lines:
        info = infos.get(line.listing_id)
        if info is None:
            changes.append(CartChange(line.listing_id, "removed", "This listing no longer exists."))
            line.delete()
            continue
        if not info.is_purchasable:
            changes.append(
                CartChange(line.listing_id, "unavailable", "This listing cannot be bought now.")
            )
        elif info.available < line.quantity:
            changes.append(
                CartChange(
                    line.listing_id,
                    "quantity_reduced" if info.available else "unavailable",
                    f"Only {info.available} left.",
                    old=line.quantity,
                    new=info.available,
                )
            )
        if info.price_minor != line.seen_price_minor or info.currency != line.seen_currency:
            changes.append(
                CartChange(
                    line.listing_id,
                    "price_changed",
                    "The price changed since you added this.",
                    old=line.seen_price_minor,
                    new=info.price_minor,
                )
            )
            line.seen_price_minor = info.price_minor
            line.seen_currency = info.currency
            line.save(update_fields=["seen_price_minor", "seen_currency"])
        views.append(
            CartLineView(
                listing_id=line.listing_id,
                quantity=line.quantity,
                title=info.title,
                sku=info.sku,
                store_id=info.store_id,
                vendor_id=info.vendor_id,
                product_id=info.product_id,
                unit_price_minor=info.price_minor,
                currency=info.currency,
                available=info.available,
                is_purchasable=info.is_purchasable,
            )
        )
    token = cart_token(cart) if cart.customer_user_id is None else ""
    return CartView(cart_id=cart.pk, token=token, lines=tuple(views), changes=tuple(changes))
