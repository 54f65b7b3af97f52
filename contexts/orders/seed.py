"""The orders context's part of ``seed_demo`` (order 70, after vendors and their listings).

Demo customers buy demo listings with a **co-purchase structure** (the search context's
recommendations learn "customers who bought X also bought Y" from it, per *product*):
the products that have a purchasable listing are cut into a few small bundles of
neighbouring products (by name, so mostly one brand's), and each demo order takes two or
three products of one bundle, now and then with one random extra product, each bought
from whichever of the product's listings has the most stock at that moment. Several
stores list the same product, so bundling listings instead would scatter one product's
sales over unrelated bundles. Everything is ordered by stable keys (names, SKUs, prices),
never by random ids or current stock, so every fresh seed buys the same products
together and a second run finds the same plan. Orders go through the real
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


def _purchasable_listings() -> list[vendors.ListingInfo]:
    """Every purchasable demo listing in the most common currency (so any bundle can be
    checked out together). Whether it is purchasable does not depend on its stock, so
    the same listings come back on a second run after the first one bought some."""
    seen: list[UUID] = []
    for payload in OutboxMessage.objects.filter(event_type="vendors.listing_updated").values_list(
        "message__payload__listing_id", flat=True
    ):
        listing_id = UUID(str(payload))
        if listing_id not in seen:
            seen.append(listing_id)
    infos = vendors.listings_get(listing_ids=seen)
    usable = [i for i in infos.values() if i.is_purchasable]
    currencies = [i.currency for i in usable]
    if not currencies:
        return []
    currency = max(sorted(set(currencies)), key=currencies.count)
    return sorted(
        (i for i in usable if i.currency == currency), key=lambda i: (i.price_minor, i.sku, i.title)
    )


def _demo_listings() -> list[vendors.ListingInfo]:
    """One listing per demo product (its cheapest), standing for the product in the
    plan, in a stable order: by title, then SKU."""
    first: dict[UUID, vendors.ListingInfo] = {}
    for info in _purchasable_listings():
        first.setdefault(info.product_id, info)
    return sorted(first.values(), key=lambda i: (i.title, i.sku))


def _in_stock_listing(product_listings: list[UUID]) -> UUID | None:
    """The product's listing with the most stock now (then the cheapest), if any."""
    infos = vendors.listings_get(listing_ids=product_listings)
    ranked = sorted(
        (i for i in infos.values() if i.is_purchasable and i.available > 0),
        key=lambda i: (-i.available, i.price_minor, i.sku),
    )
    return ranked[0].listing_id if ranked else None


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
    # every purchasable listing of each planned product: an order buys from the one
    # with the most stock at that moment, so one store selling out does not drop it
    alternatives: dict[UUID, list[UUID]] = {}
    for info in _purchasable_listings():
        alternatives.setdefault(info.product_id, []).append(info.listing_id)
    of_product = {i.listing_id: alternatives.get(i.product_id, [i.listing_id]) for i in listings}
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
            deliver = rng.random() < 0.8
            in_stock = [_in_stock_listing(of_product[i]) for i in listing_ids]
            chosen = [i for i in in_stock if i is not None]
            if chosen:  # every product sold out everywhere: this demo order is skipped
                _place_and_fulfil(customer, key, chosen, deliver=deliver)
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
