"""The vendors context's part of ``seed_demo`` (order 50, after accounts and plans).

Demo vendors on different plans. ``vendor@bazaar.local`` (created by the auth seeder)
gets a vendor with a store on the growth plan; the others get their own accounts.
Paid plans are granted a complimentary first period (no payment in demo data), except
one vendor left waiting for its first payment. Idempotent: a vendor whose owner
already has one is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from bazaar_platform.seeding import SeedContext
from contexts.auth import facade as auth
from contexts.subscriptions import facade as subscriptions
from contexts.vendors.models import VendorMember
from contexts.vendors.services import stores as store_services
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
