"""Vendors, stores and products for other contexts' tests, made through the owning
contexts' services (never their models or factories). Project-level so that a context's
tests can use it without importing another context's internals."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from uuid import UUID

from contexts.auth import facade as auth
from contexts.auth.services import accounts
from contexts.catalog import facade as catalog
from contexts.catalog import services as catalog_services
from contexts.vendors.services.vendors import StoreInput, vendor_activate, vendor_create

PASSWORD = "a-long-passphrase-42"


@dataclass(frozen=True)
class Seller:
    vendor_id: UUID
    store_id: UUID
    owner_user_id: UUID
    owner_email: str


def make_user(
    *, email: str | None = None, role: str | None = None, verified: bool = True
) -> tuple[UUID, str]:
    """A user (customer role, e-mail verified so the customer is active unless
    ``verified=False``; ``role`` grants another) and their e-mail."""
    email = email or f"user-{uuid.uuid4().hex[:12]}@example.com"
    user, _ = accounts.user_create_or_get(email=email, full_name="Test User", password=PASSWORD)
    if verified:
        accounts.user_verify_email(token=accounts.email_verification_token(user=user))
    user_id = UUID(str(user.pk))
    if role:
        auth.role_grant(user_id=user_id, role=role)
    return user_id, email


def make_seller(*, active: bool = True) -> Seller:
    """An active vendor (owner with the vendor role) and its first store."""
    owner_id, email = make_user(role="vendor")
    suffix = uuid.uuid4().hex[:10]
    vendor, store = vendor_create(
        owner_user_id=owner_id,
        owner_email=email,
        legal_name=f"Seller {suffix}",
        contact_email=email,
        store=StoreInput(name=f"Store {suffix}", slug=f"store-{suffix}", currency="EUR"),
    )
    if active:
        vendor_activate(vendor_id=vendor.pk)
    return Seller(vendor.pk, store.pk, owner_id, email)


def make_product(*, vendor_id: UUID | None = None, name: str | None = None) -> UUID:
    """A published product, proposed by ``vendor_id`` when given (its owner for reviews)."""
    suffix = uuid.uuid4().hex[:10]
    category = catalog_services.category_create(name=f"Category {suffix}")
    product_type = catalog_services.product_type_create(name=f"Type {suffix}")
    if vendor_id is not None:
        proposed = catalog.product_propose(
            vendor_id=vendor_id,
            name=name or f"Product {suffix}",
            category_id=category.pk,
            product_type_id=product_type.pk,
            variants=[catalog.ProposedVariant(sku=f"SKU-{suffix}")],
        )
        product_id = proposed.product_id
    else:
        product = catalog_services.product_create(
            name=name or f"Product {suffix}",
            category_id=category.pk,
            product_type_id=product_type.pk,
            variants=[catalog_services.VariantInput(sku=f"SKU-{suffix}")],
        )
        product_id = product.pk
    catalog_services.product_publish(product_id=product_id)
    return product_id
