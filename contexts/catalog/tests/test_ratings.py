"""Product ratings copied from the reviews context's ``reviews.rating_summary_changed``:
stored by the catalogue's handler, shown in the list and the detail, sortable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from contexts.catalog.handlers import on_rating_summary_changed_store_product_rating
from contexts.catalog.models import Product
from contexts.reviews.events import RatingSummaryChanged

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

PRODUCTS = "/api/v1/catalog/products/"


def _summary(product: Product, average: float, count: int, **kwargs) -> RatingSummaryChanged:
    distribution = {str(n): 0 for n in range(1, 6)}
    return RatingSummaryChanged(
        subject_type="product",
        subject_id=product.pk,
        average=average,
        count=count,
        distribution=distribution,
        **kwargs,
    )


def test_handler_stores_the_summary_and_ignores_late_older_ones(make_phone):
    product = make_phone(publish=True)
    before = product.updated_at
    now = timezone.now()
    on_rating_summary_changed_store_product_rating(_summary(product, 4.5, 2, occurred_at=now))
    late = _summary(product, 1.0, 1, occurred_at=now - timedelta(seconds=5))
    on_rating_summary_changed_store_product_rating(late)
    product.refresh_from_db()
    assert (float(product.rating_average), product.rating_count) == (4.5, 2)
    assert product.updated_at > before  # conditional GETs see the change
    on_rating_summary_changed_store_product_rating(_summary(product, 0.0, 0))
    product.refresh_from_db()
    assert (product.rating_average, product.rating_count) == (None, 0)


def test_store_and_vendor_summaries_are_not_the_catalogues(make_phone):
    product = make_phone(publish=True)
    event = RatingSummaryChanged(
        subject_type="store", subject_id=product.pk, average=5.0, count=1,
        distribution={"1": 0, "2": 0, "3": 0, "4": 0, "5": 1},
    )  # fmt: skip
    on_rating_summary_changed_store_product_rating(event)
    product.refresh_from_db()
    assert product.rating_count == 0


def test_list_and_detail_show_ratings_and_sort_by_them(client, make_phone):
    best, worst, unrated = (make_phone(name, publish=True) for name in ("Best", "Worst", "None"))
    mid = make_phone("Mid", publish=True)
    for product, average, count in ((best, 4.8, 5), (worst, 1.5, 2), (mid, 3.0, 1)):
        on_rating_summary_changed_store_product_rating(_summary(product, average, count))

    def names(sort: str) -> list[str]:
        response = client.get(PRODUCTS, {"sort": sort})
        assert response.status_code == 200, response.content
        return [p["name"] for p in response.json()["data"]]

    assert names("rating") == ["Best", "Mid", "Worst", "None"]
    assert names("-rating") == ["Worst", "Mid", "Best", "None"]
    listed = {p["name"]: p for p in client.get(PRODUCTS).json()["data"]}
    assert (listed["Best"]["rating_average"], listed["Best"]["rating_count"]) == (4.8, 5)
    assert (listed["None"]["rating_average"], listed["None"]["rating_count"]) == (None, 0)
    detail = client.get(f"{PRODUCTS}{best.slug}/").json()["data"]
    assert (detail["rating_average"], detail["rating_count"]) == (4.8, 5)
    assert unrated.rating_count == 0


@pytest.mark.parametrize("limit", [1, 50])
def test_rating_sort_keeps_the_list_query_count(
    client, make_phone, django_assert_num_queries, limit
):
    for n in range(3):
        product = make_phone(f"Phone {n}", publish=True)
        on_rating_summary_changed_store_product_rating(_summary(product, 1.0 + n, n + 1))
    # the same count as the unsorted list (test_api): the rating is a column of the product
    with django_assert_num_queries(7):
        response = client.get(PRODUCTS, {"limit": limit, "sort": "rating"})
    assert response.status_code == 200
