"""Verified purchases through the real orders facade: orders checked out, paid through the
sandbox gateway and delivered by the real services (``tests.support.orders``)."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from bazaar_platform.api.errors import ApplicationError
from bazaar_platform.seeding import SeedContext
from contexts.reviews import services
from contexts.reviews.models import HelpfulVote, RatingAggregate, Review, ReviewStatus
from contexts.reviews.seed import seed_demo_reviews
from contexts.vendors import facade as vendors
from tests.support import orders as support

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _orders_env(settings: Any, tmp_path: Path) -> None:
    support.apply_test_settings(settings, tmp_path)
    settings.REVIEWS_ALLOW_UNVERIFIED = False


@pytest.fixture
def bought() -> tuple[Any, Any, Any]:
    """A customer with a delivered order of one listing: (customer, shop, product id)."""
    shop = support.make_shop()
    listing_id = support.make_listing(shop)
    customer = support.make_customer()
    support.make_delivered_order(customer_user_id=customer, listing_ids=[listing_id])
    product_id = vendors.listings_get(listing_ids=[listing_id])[listing_id].product_id
    return customer, shop, product_id


def _review(customer: Any, subject_type: str, subject_id: Any) -> Review:
    with support.committed():
        return services.review_create(
            author_user_id=customer, subject_type=subject_type, subject_id=subject_id,
            rating=5, title="Great", body=f"Received it, very happy with this {subject_type}.",
        )  # fmt: skip


def test_delivered_purchases_make_verified_reviews(bought):
    customer, shop, product_id = bought
    product_review = _review(customer, "product", product_id)
    store_review = _review(customer, "store", shop.store_id)
    vendor_review = _review(customer, "vendor", shop.vendor_id)
    assert product_review.verified_purchase and store_review.verified_purchase
    assert vendor_review.verified_purchase
    assert product_review.status == ReviewStatus.PUBLISHED


def test_verified_only_refuses_what_the_customer_did_not_receive(bought):
    customer, _, _ = bought
    other_shop = support.make_shop()
    other_product = vendors.listings_get(listing_ids=[listing := support.make_listing(other_shop)])[
        listing
    ].product_id
    for subject_type, subject_id in (("product", other_product), ("store", other_shop.store_id)):
        with pytest.raises(ApplicationError) as exc:
            _review(customer, subject_type, subject_id)
        assert (exc.value.status_code, exc.value.code) == (403, "purchase_required")
    stranger = support.make_customer()
    with pytest.raises(ApplicationError):
        _review(stranger, "product", bought[2])


def test_unverified_allowed_by_setting_is_marked_unverified(settings, bought):
    settings.REVIEWS_ALLOW_UNVERIFIED = True
    stranger = support.make_customer()
    review = _review(stranger, "product", bought[2])
    assert review.verified_purchase is False
    assert review.status == ReviewStatus.PUBLISHED


def test_demo_seed_reviews_delivered_purchases_once(bought):
    customer, shop, product_id = bought
    with support.committed():
        seed_demo_reviews(SeedContext(out=StringIO(), quiet=True))
    reviews = list(Review.objects.filter(author_user_id=customer))
    assert {(r.subject_type, r.subject_id) for r in reviews} == {
        ("product", product_id),
        ("store", shop.store_id),
    }
    assert all(r.verified_purchase for r in reviews)
    counts = (Review.objects.count(), HelpfulVote.objects.count(), RatingAggregate.objects.count())
    with support.committed():
        seed_demo_reviews(SeedContext(out=StringIO(), quiet=True))
    assert (
        Review.objects.count(), HelpfulVote.objects.count(), RatingAggregate.objects.count()
    ) == counts  # fmt: skip
