"""The vendors context's part of ``seed_demo`` (order 50, after accounts and plans).

Demo vendors on different plans. ``vendor@bazaar.local`` (created by the auth seeder)
gets a vendor with a store on the growth plan; the others get their own accounts.
Paid plans are granted a complimentary first period (no payment in demo data), except
one vendor left waiting for its first payment. Idempotent: a vendor whose owner
already has one is left alone.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from uuid import UUID

from bazaar_platform.seeding import SeedContext
from contexts.auth import facade as auth
from contexts.catalog import facade as catalog
from contexts.subscriptions import facade as subscriptions
from contexts.vendors.models import Listing, Store, VendorMember, VendorStatus
from contexts.vendors.services import stores as store_services
from contexts.vendors.services.listings import ListingInput, listing_create, product_count_sync
from contexts.vendors.services.vendors import StoreInput, vendor_activate, vendor_create

DEMO_PASSWORD = "bazaar-demo-2026"  # noqa: S105 - a published demo credential, as in auth's seed


@dataclass(frozen=True)
class DemoVendor:
    email: str
    owner_name: str
    legal_name: str
    plan: str
    currency: str
    stores: tuple[tuple[str, str, str], ...]  # (name, slug, city)
    paid: bool = True  # False: left pending payment


DEMO_VENDORS: tuple[DemoVendor, ...] = (
    DemoVendor(
        "vendor@bazaar.local",
        "Vera Vendor",
        "Vera Vintage SARL",
        "growth",
        "EUR",
        (("Vera's Vintage", "veras-vintage", "Lyon"), ("Vera's Records", "veras-records", "Lyon")),
    ),
    DemoVendor(
        "nordic.knits@bazaar.local",
        "Nils Nordqvist",
        "Nordic Knits AB",
        "free",
        "EUR",
        (("Nordic Knits", "nordic-knits", "Uppsala"),),
    ),
    DemoVendor(
        "brass.bloom@bazaar.local",
        "Bea Bloom",
        "Brass & Bloom Ltd",
        "pro",
        "GBP",
        (
            ("Brass & Bloom London", "brass-bloom-london", "London"),
            ("Brass & Bloom Leeds", "brass-bloom-leeds", "Leeds"),
            ("Bloom Outlet", "bloom-outlet", "Bristol"),
        ),
    ),
    DemoVendor(
        "cedar.workshop@bazaar.local",
        "Carl Cedar",
        "Cedar Workshop LLC",
        "growth",
        "USD",
        (("Cedar Workshop", "cedar-workshop", "Portland"),),
    ),
    DemoVendor(
        "pending.pottery@bazaar.local",
        "Petra Potts",
        "Pending Pottery GmbH",
        "growth",
        "EUR",
        (("Petra's Pottery", "petras-pottery", "Leipzig"),),
        paid=False,
    ),
)


def _seed_one(spec: DemoVendor) -> None:
    user_id = auth.user_create_or_get(
        email=spec.email, full_name=spec.owner_name, password=DEMO_PASSWORD
    )
    auth.role_grant(user_id=user_id, role="vendor")
    if VendorMember.objects.filter(user_id=user_id).exists():
        return
    (first_name, first_slug, first_city), *more = spec.stores
    vendor, _ = vendor_create(
        owner_user_id=user_id,
        owner_email=spec.email,
        legal_name=spec.legal_name,
        contact_email=spec.email,
        store=StoreInput(name=first_name, slug=first_slug, currency=spec.currency, city=first_city),
    )
    key = f"demo:{vendor.pk}"
    if not spec.paid:
        subscriptions.subscription_create(
            vendor_id=vendor.pk,
            plan_code=spec.plan,
            currency=spec.currency,
            billing_email=spec.email,
            idempotency_key=key,
        )
        return
    subscriptions.subscription_grant(
        vendor_id=vendor.pk,
        plan_code=spec.plan,
        currency=spec.currency,
        billing_email=spec.email,
        idempotency_key=key,
    )
    vendor_activate(vendor_id=vendor.pk)  # the event handler does it too; idempotent
    for name, slug, city in more:
        store_services.store_create(
            vendor_id=vendor.pk,
            data=StoreInput(name=name, slug=slug, currency=spec.currency, city=city),
        )


def seed_demo_vendors(ctx: SeedContext) -> None:
    for spec in ctx.progress(DEMO_VENDORS, "vendors"):
        _seed_one(spec)
        if spec.email != "vendor@bazaar.local":  # the auth seeder lists that one
            ctx.login(
                email=spec.email,
                password=DEMO_PASSWORD,
                note=f"vendor, {spec.plan} plan" + ("" if spec.paid else ", awaiting payment"),
            )


# --- listings (order 55: after the catalogue's products and the vendors above) -------------------
LISTED_VARIANTS = 160  # the first variants for sale (by product slug): a shared pool
STORE_SHARE = 3  # each variant is offered by about 1 store in STORE_SHARE ... and more


def _number(*parts: object) -> int:
    """A stable pseudo-random number from its inputs (the same on every run)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _listing_plan(
    stores: list[Store], variants: list[catalog.VariantInfo], limits: dict[UUID, int]
) -> list[tuple[Store, catalog.VariantInfo, int, int]]:
    """(store, variant, price, stock) to list: stores compete on the same products (most
    variants in two or three stores), within each vendor's plan product limit."""
    plan: list[tuple[Store, catalog.VariantInfo, int, int]] = []
    products: dict[UUID, set[UUID]] = {}
    for variant in variants:
        base = 800 + _number("base", variant.variant_id) % 40_000
        for store in stores:
            if _number("pick", store.slug, variant.variant_id) % STORE_SHARE:
                continue
            listed = products.setdefault(store.vendor_id, set())
            if variant.product_id not in listed and len(listed) >= limits[store.vendor_id]:
                continue
            listed.add(variant.product_id)
            spread = 85 + _number("price", store.slug, variant.variant_id) % 31  # 85%..115%
            stock = _number("stock", store.slug, variant.variant_id) % 40
            plan.append((store, variant, max(base * spread // 100, 1), stock))
    return plan


def seed_demo_listings(ctx: SeedContext) -> None:
    stores = list(
        Store.objects.filter(
            vendor__members__email__endswith="@bazaar.local",
            vendor__status=VendorStatus.ACTIVE,
        )
        .distinct()
        .order_by("slug")
    )
    variants = catalog.variants_for_sale(limit=LISTED_VARIANTS)
    limits: dict[UUID, int] = {}
    for vendor_id in {s.vendor_id for s in stores}:
        usage = {u.resource: u.limit for u in subscriptions.usage_for(vendor_id=vendor_id)}
        limits[vendor_id] = usage.get("products", 0)
    existing = set(Listing.objects.values_list("store_id", "variant_id"))
    plan = _listing_plan(stores, variants, limits)
    for store, variant, price, stock in ctx.progress(plan, "listings"):
        if (store.pk, variant.variant_id) in existing:
            continue
        listing_create(
            vendor_id=store.vendor_id,
            data=ListingInput(
                store_id=store.pk,
                variant_id=variant.variant_id,
                price_minor=price,
                currency=store.currency,
                low_stock_threshold=3,
                initial_stock=stock,
            ),
        )
    # listing creation publishes each new product count; this also covers listings an
    # earlier seed made, so the subscriptions usage read model shows them
    for vendor_id in sorted({s.vendor_id for s in stores}, key=str):
        product_count_sync(vendor_id=vendor_id)
