"""Orders for other contexts' tests, made through the real services end to end.

``make_delivered_order`` checks out a cart (real stock reservation), pays it through the
sandbox gateway's signed webhook (the payments context publishes
``payments.payment_succeeded`` and the orders context confirms the order and commits the
stock), then has each vendor accept, pack, ship and deliver. Events are dispatched after
each step's commit (``captureOnCommitCallbacks``), so it works in ordinary (transactional)
tests and in ``transaction=True`` ones alike.

Shops and listings are made with the vendors context's services (a vendor member owns
the shop, so the vendor API and the vendor admin work for it).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.test import TestCase

from contexts.auth import facade as auth
from contexts.orders.models import CustomerOrder, VendorOrder
from contexts.orders.services import carts, fulfilment
from contexts.orders.services.checkout import checkout
from contexts.payments.models import Payment
from contexts.payments.services import sandbox, webhooks
from contexts.vendors.models import MemberRole, Store, Vendor, VendorMember, VendorStatus
from contexts.vendors.services.listings import ListingInput, listing_create
from tests.support.catalog import make_product

PASSWORD = "Orders-test-Passw0rd!"
ADDRESS = {
    "full_name": "Olga Orders",
    "line1": "1 Market Street",
    "city": "Lyon",
    "postal_code": "69001",
    "country": "FR",
}
_seq = itertools.count(1)


@contextmanager
def committed() -> Iterator[None]:
    """Run the block's after-commit callbacks (event dispatch) at its end."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        yield


def unique(prefix: str) -> str:
    return f"{prefix}{next(_seq)}-{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Shop:
    vendor_id: UUID
    store_id: UUID
    owner_user_id: UUID
    owner_email: str
    currency: str


def make_customer(*, email: str | None = None) -> UUID:
    """A customer account (log in with ``PASSWORD``)."""
    with committed():
        return auth.user_create_or_get(
            email=email or f"{unique('c')}@customers.test",
            full_name="Cora Customer",
            password=PASSWORD,
        )


def make_shop(*, currency: str = "EUR") -> Shop:
    """An active vendor with an open store, owned by a fresh vendor account."""
    tag = unique("shop")
    email = f"{tag}@vendors.test"
    with committed():
        owner = auth.user_create_or_get(email=email, full_name="Vic Vendor", password=PASSWORD)
        auth.role_grant(user_id=owner, role="vendor")
    vendor = Vendor.objects.create(
        legal_name=f"{tag} Ltd",
        contact_email=email,
        owner_user_id=owner,
        status=VendorStatus.ACTIVE,
    )
    VendorMember.objects.create(vendor=vendor, user_id=owner, email=email, role=MemberRole.OWNER)
    store = Store.objects.create(vendor=vendor, name=f"Store {tag}", slug=tag, currency=currency)
    return Shop(
        vendor_id=vendor.pk,
        store_id=store.pk,
        owner_user_id=owner,
        owner_email=email,
        currency=currency,
    )


def make_listing(
    shop: Shop, *, stock: int = 10, price_minor: int = 1999, name: str | None = None
) -> UUID:
    """A listing of a fresh published product in ``shop`` with ``stock`` units on hand."""
    product = make_product(name=name)
    with committed():
        listing = listing_create(
            vendor_id=shop.vendor_id,
            data=ListingInput(
                store_id=shop.store_id,
                variant_id=product.variant_ids[0],
                price_minor=price_minor,
                currency=shop.currency,
                initial_stock=stock,
            ),
        )
    return UUID(str(listing.pk))


def place_order(
    *,
    customer_user_id: UUID,
    lines: Sequence[tuple[UUID, int]],
    key: str | None = None,
    address: dict[str, Any] | None = None,
) -> CustomerOrder:
    """Fill the customer's cart with ``lines`` and check out (stock reserved, payment link)."""
    cart = carts.cart_for_customer(customer_user_id=customer_user_id)
    for listing_id, quantity in lines:
        carts.cart_line_set(cart=cart, listing_id=listing_id, quantity=quantity)
    with committed():
        result = checkout(
            customer_user_id=customer_user_id,
            idempotency_key=key or str(uuid.uuid4()),
            shipping_address=address or ADDRESS,
        )
    return result.order


def sandbox_webhook(order: CustomerOrder, *, approve: bool = True) -> None:
    """Play the payer on the sandbox page, then deliver its signed webhook to the payments
    context (what the sandbox's HTTP POST does, without a server)."""
    assert order.payment_id is not None, "the order has no payment link"
    payment = Payment.objects.get(pk=order.payment_id)
    checkout_id = payment.gateway_session_id
    with committed():
        decided = sandbox.sandbox_checkout_decide(checkout_id=checkout_id, approve=approve)
    body = sandbox.sandbox_webhook_body(decided)
    header = sandbox.sandbox_sign(body=body, secret=sandbox.sandbox_webhook_secret())
    with committed():
        webhooks.webhook_receive(
            gateway="sandbox", body=body, headers={sandbox.SIGNATURE_HEADER: header}
        )


def pay_order(order: CustomerOrder) -> CustomerOrder:
    sandbox_webhook(order, approve=True)
    order.refresh_from_db()
    return order


def fulfil(vendor_orders: Iterable[VendorOrder], *, until: str = "delivered") -> None:
    """Walk each vendor order through accept, pack, ship and deliver (or stop earlier)."""
    steps = ["accepted", "packed", "shipped", "delivered"]
    for vendor_order in vendor_orders:
        ids = {"vendor_id": vendor_order.vendor_id, "vendor_order_id": vendor_order.pk}
        with committed():
            fulfilment.vendor_order_accept(**ids)
            if steps.index(until) >= 1:
                fulfilment.vendor_order_pack(**ids)
            if steps.index(until) >= 2:
                fulfilment.vendor_order_ship(
                    **ids, carrier="La Poste", tracking_number=unique("TRK").upper()
                )
            if steps.index(until) >= 3:
                fulfilment.vendor_order_deliver(**ids)


def make_delivered_order(*, customer_user_id: UUID, listing_ids: Sequence[UUID]) -> UUID:
    """Buy one unit of each listing, pay, and have every vendor deliver; the order id."""
    order = place_order(customer_user_id=customer_user_id, lines=[(lid, 1) for lid in listing_ids])
    order = pay_order(order)
    assert order.status == "paid", order.status
    fulfil(order.vendor_orders.all())
    return UUID(str(order.pk))


def apply_test_settings(settings: Any, tmp_path: Any) -> None:
    """What the orders tests need: a signing key for log-in, the sandbox gateway with
    its webhook delivered by hand, events in-process, fast password hashing."""
    from contexts.vendors.tests.conftest import signing_key_pem

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AUTH_SIGNING_KEY_PEM = signing_key_pem()
    settings.AUTH_SIGNING_KEY_FILE = ""
    settings.PAYMENTS_GATEWAY = "sandbox"
    settings.PAYMENTS_SANDBOX_ENABLED = True
    settings.PAYMENTS_SANDBOX_WEBHOOK_SECRET = ""
    settings.PAYMENTS_SANDBOX_WEBHOOK_URL = ""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EVENT_DISPATCH = "inprocess"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.RATE_LIMIT_KEY_PREFIX = f"test-rl-{uuid.uuid4().hex[:8]}"


def listing_price_set(shop: Shop, listing_id: UUID, price_minor: int) -> None:
    """The vendor changes a listing's price (the vendors context's real service)."""
    from contexts.vendors.services.listings import listing_update

    with committed():
        listing_update(
            vendor_id=shop.vendor_id, listing_id=listing_id, changes={"price_minor": price_minor}
        )


def reservations_expire_at(now: Any) -> int:
    """Run the vendors context's reservation expiry as its beat task would at ``now``
    (it publishes ``vendors.stock_reservation_expired``)."""
    from contexts.vendors.services.stock import reservations_expire

    with committed():
        return reservations_expire(now=now)


def email_of(user_id: UUID) -> str:
    profile = auth.user_profile(user_id=user_id)
    assert profile is not None
    return profile.email
