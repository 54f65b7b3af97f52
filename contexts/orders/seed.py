"""The orders context's part of ``seed_demo`` (order 70, after vendors and their listings).

Demo customers buy demo listings with a **co-purchase structure** (the search context's
recommendations learn "customers who bought X also bought Y" from it, per *product*):
the products that have a purchasable listing are cut into a few small bundles of
neighbouring products (by name, so mostly one brand's), and each demo order takes two or
three products from one bundle, now and then with one random extra product, each bought
from the product's best-stocked listing. Several stores list the same product, so bundling
listings instead would scatter one product's sales over unrelated bundles. Everything is
ordered by stable keys (names, SKUs), never by random ids, so every fresh seed buys the
same products together. Orders go through the real
checkout (stock reservation, payment link); demo payments are taken as confirmed (no
payer in demo data), and most orders are then shipped and delivered by their vendors.

The listings are found in the event log: the vendors context publishes a
``vendors.listing_updated`` snapshot for each listing (this context keeps no listing
read model of its own), and the vendors facade confirms each one is purchasable today.

Idempotent: each demo order has a fixed Idempotency-Key; an existing one is skipped.
"""

from __future__ import annotations

import random
from uuid import UUID

from bazaar_platform.api.errors import ApplicationError
from bazaar_platform.events.models import OutboxMessage
from bazaar_platform.seeding import SeedContext
from contexts.auth import facade as auth
from contexts.orders.models import CustomerOrder
from contexts.orders.services import carts, fulfilment
from contexts.orders.services.checkout import checkout
from contexts.orders.services.lifecycle import order_payment_succeeded
from contexts.vendors import facade as vendors

DEMO_PASSWORD = "bazaar-demo-2026"  # noqa: S105 - a published demo credential, as in auth's seed
CUSTOMERS = 20
ORDERS_PER_CUSTOMER = 3
BUNDLE_SIZE = 4
#: Few enough bundles for each to be bought by several customers (60 orders).
BUNDLES = 6
ADDRESS = {
    "full_name": "Demo Customer",
    "line1": "12 Rue de la Paix",
    "city": "Paris",
    "postal_code": "75002",
    "country": "FR",
}


def _demo_listings() -> list[vendors.ListingInfo]:
    """One purchasable listing per demo product (the one with the most stock, then the
    cheapest), in a stable order: by product title, then SKU."""
    seen: list[UUID] = []
    for payload in OutboxMessage.objects.filter(event_type="vendors.listing_updated").values_list(
        "message__payload__listing_id", flat=True
    ):
        listing_id = UUID(str(payload))
        if listing_id not in seen:
            seen.append(listing_id)
    infos = vendors.listings_get(listing_ids=seen)
    usable = [i for i in infos.values() if i.is_purchasable and i.available >= 3]
    # one currency, the most common, so every bundle can be checked out together
    currencies = [i.currency for i in usable]
    if not currencies:
        return []
    currency = max(sorted(set(currencies)), key=currencies.count)
    best: dict[UUID, vendors.ListingInfo] = {}
    for info in sorted(
        (i for i in usable if i.currency == currency),
        key=lambda i: (-i.available, i.price_minor, i.sku, i.title),
    ):
        best.setdefault(info.product_id, info)
    return sorted(best.values(), key=lambda i: (i.title, i.sku))


def _order_plan(listings: list[vendors.ListingInfo]) -> list[list[list[UUID]]]:
    """Per customer, the listing ids of each of their orders (deterministic): ``BUNDLES``
    bundles of ``BUNDLE_SIZE`` neighbouring products, spread over the catalogue."""
    rng = random.Random(8)
    ids = [i.listing_id for i in listings]
    chunks = [ids[n : n + BUNDLE_SIZE] for n in range(0, len(ids), BUNDLE_SIZE)]
    chunks = [b for b in chunks if len(b) >= 2]
    step = max(1, len(chunks) // BUNDLES)
    bundles = chunks[::step][:BUNDLES]
    plan: list[list[list[UUID]]] = []
    for _ in range(CUSTOMERS):
        orders = []
        for _ in range(ORDERS_PER_CUSTOMER):
            bundle = rng.choice(bundles)
            picked = rng.sample(bundle, k=min(len(bundle), rng.choice((2, 2, 3))))
            if rng.random() < 0.2:
                extra = rng.choice(ids)
                if extra not in picked:
                    picked.append(extra)
            orders.append(picked)
        plan.append(orders)
    return plan


def seed_demo_orders(ctx: SeedContext) -> None:
    listings = _demo_listings()
    if len(listings) < 2:
        ctx.out.write("seed orders: no purchasable demo listings, nothing to order\n")
        return
    plan = _order_plan(listings)
    rng = random.Random(80)
    for n in ctx.progress(range(CUSTOMERS), "orders", total=CUSTOMERS):
        email = f"shopper{n + 1}@bazaar.local"
        customer = auth.user_create_or_get(
            email=email, full_name=f"Shopper {n + 1}", password=DEMO_PASSWORD
        )
        for k, listing_ids in enumerate(plan[n]):
            key = f"demo-order-{n + 1}-{k + 1}"
            if CustomerOrder.objects.filter(
                customer_user_id=customer, idempotency_key=key
            ).exists():
                continue
            _place_and_fulfil(customer, key, listing_ids, deliver=rng.random() < 0.8)
    ctx.login(email="shopper1@bazaar.local", password=DEMO_PASSWORD, note="a customer with orders")


def _place_and_fulfil(customer: UUID, key: str, listing_ids: list[UUID], *, deliver: bool) -> None:
    cart = carts.cart_for_customer(customer_user_id=customer)
    carts.cart_clear(cart=cart)
    try:
        for listing_id in listing_ids:
            carts.cart_line_set(cart=cart, listing_id=listing_id, quantity=1)
        order = checkout(
            customer_user_id=customer, idempotency_key=key, shipping_address=ADDRESS
        ).order
    except ApplicationError:
        carts.cart_clear(cart=cart)  # sold out meanwhile: this demo order is skipped
        return
    if order.payment_id is None:
        return
    order_payment_succeeded(order_id=order.pk, payment_id=order.payment_id)
    if not deliver:
        return
    for vendor_order in order.vendor_orders.all():
        ids = {"vendor_id": vendor_order.vendor_id, "vendor_order_id": vendor_order.pk}
        fulfilment.vendor_order_accept(**ids)
        fulfilment.vendor_order_pack(**ids)
        fulfilment.vendor_order_ship(
            **ids, carrier="Demo Post", tracking_number=f"DEMO{str(vendor_order.pk)[:8].upper()}"
        )
        fulfilment.vendor_order_deliver(**ids)
