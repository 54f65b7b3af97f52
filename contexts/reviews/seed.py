"""The reviews part of ``seed_demo`` (order 80, after the orders seed has delivered the
demo customers' orders).

The demo customers review what they really received: the delivered purchases are found
in the event log (``orders.vendor_order_delivered``; this context keeps no order read
model), and every review goes through ``review_create``, so it is a verified purchase,
passes the automatic moderation and feeds the aggregates through the events. The vendor owning the subject
answers some reviews; other demo customers find some helpful.

Deterministic (``random.Random`` seeded per customer and subject) and idempotent: a
customer's existing review of a subject is left as it is, so a second run writes nothing.
"""

from __future__ import annotations

import random
from uuid import UUID

from bazaar_platform.api.errors import ApplicationError
from bazaar_platform.events.models import OutboxMessage
from bazaar_platform.seeding import SeedContext
from contexts.reviews import services
from contexts.reviews.models import HelpfulVote, Review, ReviewReply, ReviewStatus
from contexts.vendors import facade as vendors

SEED = 20261129
REVIEWS_PER_CUSTOMER = 4

TEXTS: dict[int, list[tuple[str, str]]] = {
    5: [
        ("Excellent", "Exactly as described and arrived well packed. Would buy again."),
        ("Love it", "Great quality for the price, I use it every day now."),
    ],
    4: [
        ("Very good", "Does the job well. Delivery took a day longer than announced."),
        ("Happy with it", "Solid build; the manual could be clearer, otherwise fine."),
    ],
    3: [
        ("Average", "It works, but it feels cheaper than in the photos."),
        ("Okay", "Fine for occasional use; I expected a little more for this price."),
    ],
    2: [
        ("Disappointed", "Stopped working properly after two weeks; support was slow."),
    ],
    1: [
        ("Not as described", "The colour and the size differ from the listing. Returned it."),
    ],
}
RATING_WEIGHTS = [(5, 40), (4, 30), (3, 15), (2, 10), (1, 5)]
REPLIES = [
    "Thank you for your review, we are glad you like it!",
    "Thanks for the feedback. Please contact us so we can make this right.",
]


def _delivered_purchases() -> list[tuple[UUID, str, UUID]]:
    """(customer, subject type, subject id) of every delivered line, products then stores,
    in a stable order."""
    seen: set[tuple[UUID, str, UUID]] = set()
    purchases: list[tuple[UUID, str, UUID]] = []
    payloads = OutboxMessage.objects.filter(event_type="orders.vendor_order_delivered").order_by(
        "occurred_at", "event_id"
    )
    for payload in payloads.values_list("message__payload", flat=True):
        customer = UUID(str(payload["customer_user_id"]))
        subjects = [("product", line["product_id"]) for line in payload.get("lines", [])]
        subjects.append(("store", payload["store_id"]))
        for subject_type, raw_id in subjects:
            key = (customer, subject_type, UUID(str(raw_id)))
            if key not in seen:
                seen.add(key)
                purchases.append(key)
    return purchases


def _write(customer: UUID, subject_type: str, subject_id: UUID) -> Review | None:
    rng = random.Random(f"{SEED}/{customer}/{subject_id}")
    rating = rng.choices([r for r, _ in RATING_WEIGHTS], [w for _, w in RATING_WEIGHTS])[0]
    title, body = rng.choice(TEXTS[rating])
    try:
        return services.review_create(
            author_user_id=customer,
            subject_type=subject_type,
            subject_id=subject_id,
            rating=rating,
            title=title,
            body=body,
        )
    except ApplicationError:
        return None  # the subject is gone, or the purchase was returned since


def _answer(review: Review, voters: list[UUID]) -> None:
    rng = random.Random(f"{SEED}/answer/{review.pk}")
    if review.status != ReviewStatus.PUBLISHED:
        return
    vendor = (
        vendors.vendor_get(vendor_id=review.owner_vendor_id) if review.owner_vendor_id else None
    )
    replied = ReviewReply.objects.filter(review=review).exists()
    if vendor is not None and rng.random() < 0.4 and not replied:
        body = REPLIES[0] if review.rating >= 4 else REPLIES[1]
        services.review_reply(review_id=review.pk, user_id=vendor.owner_user_id, body=body)
    for voter in rng.sample(voters, k=min(len(voters), rng.randint(0, 3))):
        if voter == review.author_user_id:
            continue
        if not HelpfulVote.objects.filter(review=review, voter_user_id=voter).exists():
            services.review_vote_helpful(review_id=review.pk, voter_user_id=voter)


def seed_demo_reviews(ctx: SeedContext) -> None:
    purchases = _delivered_purchases()
    customers = sorted({customer for customer, _, _ in purchases}, key=str)
    written: dict[UUID, int] = {}
    created: list[Review] = []
    for customer, subject_type, subject_id in ctx.progress(purchases, "reviews"):
        if written.get(customer, 0) >= REVIEWS_PER_CUSTOMER:
            continue
        exists = (
            Review.objects.filter(
                author_user_id=customer, subject_type=subject_type, subject_id=subject_id
            )
            .exclude(status=ReviewStatus.DELETED)
            .exists()
        )
        review = None if exists else _write(customer, subject_type, subject_id)
        if exists or review is not None:
            # Earlier runs' reviews count too, so a second run stops where the first did.
            written[customer] = written.get(customer, 0) + 1
        if review is not None:
            created.append(review)
    for review in ctx.progress(created, "review replies and votes"):
        _answer(review, customers)
