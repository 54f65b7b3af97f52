"""Real orders events, published and dispatched in-process, post the ledger."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from django.db import DatabaseError, connection, transaction

from bazaar_platform.events.models import DeadLetter
from contexts.auth import facade as auth
from contexts.ledger import facade
from contexts.ledger.models import Entry, ImmutableError, Posting
from contexts.ledger.selectors import platform_totals
from contexts.ledger.tests import support
from contexts.subscriptions import facade as subscriptions

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def on_plan(plan: str) -> uuid.UUID:
    vendor_id = uuid.uuid4()
    with transaction.atomic():
        subscriptions.subscription_grant(
            vendor_id=vendor_id,
            plan_code=plan,
            currency="EUR",
            billing_email="billing@example.test",
            idempotency_key=str(uuid.uuid4()),
        )
    return vendor_id


def entries_of(posting: Posting) -> dict[str, int]:
    return {e.kind: e.amount_minor for e in posting.entries.all()}


def test_a_paid_order_posts_gross_commission_and_earnings_per_vendor_order():
    pro, free = on_plan("pro"), uuid.uuid4()  # free: no subscription, the default plan
    vo_pro = support.vendor_order(vendor_id=pro, subtotal_minor=12_345)
    vo_free = support.vendor_order(vendor_id=free, subtotal_minor=999)
    paid = support.order_paid(vo_pro, vo_free)
    support.deliver(paid)

    sale_pro = Posting.objects.get(vendor_order_id=vo_pro["vendor_order_id"])
    # 5 % of 123.45 = 6.1725 -> 6.17
    assert entries_of(sale_pro) == {
        "gross_sale": 12_345,
        "commission": 617,
        "vendor_earnings": 11_728,
    }
    assert (sale_pro.commission_rate_bp, sale_pro.order_id, sale_pro.source_event_id) == (
        500,
        paid.order_id,
        paid.event_id,
    )
    sale_free = Posting.objects.get(vendor_order_id=vo_free["vendor_order_id"])
    # 15 % of 9.99 = 1.4985 -> 1.50
    assert entries_of(sale_free) == {"gross_sale": 999, "commission": 150, "vendor_earnings": 849}
    assert {e.account for e in sale_free.entries.all()} == {
        "order_clearing",
        "platform_revenue",
        "vendor_payable",
    }
    assert facade.vendor_balance(vendor_id=pro) == {"EUR": 11_728}
    assert facade.vendor_balance(vendor_id=free) == {"EUR": 849}
    [posted] = support.published("ledger.entries_posted", vendor_id=pro)
    assert posted["posting_kind"] == "sale"
    assert posted["entries"] == {"gross_sale": 12_345, "commission": 617, "vendor_earnings": 11_728}


def test_each_fact_is_posted_once_whatever_is_delivered_again():
    vendor = uuid.uuid4()
    vo = support.vendor_order(vendor_id=vendor, subtotal_minor=5_000)
    paid = support.order_paid(vo)
    support.deliver(paid)
    assert support.redeliver(paid) == ["duplicate"]  # the inbox
    # Another event (new id) about the same vendor order: the posting key holds.
    support.deliver(paid.model_copy(update={"event_id": uuid.uuid4()}))
    refund = support.refund_issued(paid, vo, 1_000)
    support.deliver(refund)
    support.deliver(refund.model_copy(update={"event_id": uuid.uuid4()}))
    assert Posting.objects.filter(vendor_order_id=vo["vendor_order_id"]).count() == 2
    assert Entry.objects.filter(vendor_id=vendor).count() == 6
    assert len(support.published("ledger.entries_posted", vendor_id=vendor)) == 2
    assert facade.vendor_balance(vendor_id=vendor) == {"EUR": 5_000 - 750 - (1_000 - 150)}


def staff_sets_rate(api, plan, rate_bp):
    """Through the subscriptions staff API: the ledger never touches plans itself."""
    email = f"staff-{uuid.uuid4().hex[:8]}@example.test"
    user_id = auth.user_create_or_get(email=email, full_name="Ada", password=support.PASSWORD)
    auth.role_grant(user_id=user_id, role="admin")
    response = api.patch(
        f"/api/v1/subscriptions/plans/{plan}/update",
        {"commission_rate_bp": rate_bp},
        format="json",
        **support.login(api, email),
    )
    assert response.status_code == 200, response.content


def test_refunds_reverse_pro_rata_at_the_sales_rate_and_never_more_than_posted(api):
    vendor = on_plan("growth")  # 10 %
    vo = support.vendor_order(vendor_id=vendor, subtotal_minor=1_005)
    paid = support.order_paid(vo)
    support.deliver(paid)
    # The plan's rate changes after the sale: refunds still reverse at the sale's rate.
    staff_sets_rate(api, "growth", 3_000)
    assert subscriptions.commission_rate_for(vendor_id=vendor) == 3_000
    first = support.refund_issued(paid, vo, 335)
    second = support.refund_issued(paid, vo, 335)
    too_much = support.refund_issued(paid, vo, 10_000, reason="cancellation")
    after_all = support.refund_issued(paid, vo, 1)
    support.deliver(first)
    support.deliver(second)
    support.deliver(too_much)
    support.deliver(after_all)

    sale = Posting.objects.get(posting_key=f"sale:{vo['vendor_order_id']}")
    assert (sale.commission_minor, sale.earnings_minor) == (101, 904)  # 100.5 -> 101
    refunds = Posting.objects.filter(vendor_order_id=vo["vendor_order_id"], kind="refund")
    rows = sorted(
        (p.gross_minor, p.commission_minor, p.earnings_minor, p.commission_rate_bp) for p in refunds
    )
    # 101 * 335 / 1005 = 33.67 -> 34; 101 * 670 / 1005 = 67.33 -> 67 (so 33); rest 34.
    assert rows == [(-335, -34, -301, 1_000), (-335, -34, -301, 1_000), (-335, -33, -302, 1_000)]
    assert sum(p.gross_minor for p in refunds) == -sale.gross_minor
    assert sum(p.commission_minor for p in refunds) == -sale.commission_minor
    assert facade.vendor_balance(vendor_id=vendor) == {"EUR": 0}
    assert not Posting.objects.filter(refund_id=after_all.refund_id).exists()  # nothing left
    [capped] = refunds.filter(refund_id=too_much.refund_id)
    assert capped.reason == "cancellation"


def test_a_refund_before_its_sale_is_dead_lettered_not_posted():
    vendor = uuid.uuid4()
    vo = support.vendor_order(vendor_id=vendor, subtotal_minor=2_000)
    paid = support.order_paid(vo)
    early = support.refund_issued(paid, vo, 500)
    support.deliver(early)
    assert not Posting.objects.filter(vendor_id=vendor).exists()
    dead = DeadLetter.objects.get(handler="ledger.on_refund_issued_post_reversal")
    assert "sale posting" in dead.error
    support.deliver(paid)
    support.deliver(early.model_copy(update={"event_id": uuid.uuid4()}))  # e.g. a replay
    assert facade.vendor_balance(vendor_id=vendor) == {"EUR": 1_700 - 425}


def test_a_refund_naming_another_currency_or_vendor_is_refused():
    vendor = uuid.uuid4()
    vo = support.vendor_order(vendor_id=vendor, subtotal_minor=2_000)
    paid = support.order_paid(vo)
    support.deliver(paid)
    support.deliver(support.refund_issued(paid, vo, 500, currency="USD"))
    support.deliver(support.refund_issued(paid, {**vo, "vendor_id": str(uuid.uuid4())}, 500))
    assert DeadLetter.objects.filter(error__contains="another vendor or currency").count() == 2
    assert Posting.objects.filter(kind="refund").count() == 0


def test_nonsense_amounts_leave_no_posting():
    vendor = uuid.uuid4()
    zero = support.vendor_order(vendor_id=vendor, subtotal_minor=0)
    negative = support.vendor_order(vendor_id=vendor, subtotal_minor=-5)
    huge = support.vendor_order(vendor_id=vendor, subtotal_minor=10**15)
    support.deliver(support.order_paid(zero))
    support.deliver(support.order_paid(negative))
    support.deliver(support.order_paid(huge))
    assert not Posting.objects.filter(vendor_id=vendor).exists()
    assert DeadLetter.objects.filter(handler="ledger.on_order_paid_post_sales").count() == 2


def test_entries_cannot_be_changed_or_deleted_by_the_orm_or_by_sql():
    vendor = uuid.uuid4()
    vo = support.vendor_order(vendor_id=vendor, subtotal_minor=1_000)
    support.deliver(support.order_paid(vo))
    posting = Posting.objects.get(vendor_id=vendor)
    entry = posting.entries.first()
    assert entry is not None
    entry.amount_minor = 1
    with pytest.raises(ImmutableError):
        entry.save()
    with pytest.raises(ImmutableError):
        entry.delete()
    with pytest.raises(ImmutableError):
        Entry.objects.filter(vendor_id=vendor).update(amount_minor=0)
    with pytest.raises(ImmutableError):
        Posting.objects.filter(vendor_id=vendor).delete()
    for statement in (
        "UPDATE ledger_entry SET amount_minor = 0 WHERE vendor_id = %s",
        "DELETE FROM ledger_entry WHERE vendor_id = %s",
        "UPDATE ledger_posting SET gross_minor = 0 WHERE vendor_id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [vendor])
    assert facade.vendor_balance(vendor_id=vendor) == {"EUR": 850}


def test_statements_and_platform_totals_per_currency_and_month():
    vendor = uuid.uuid4()
    october = datetime(2026, 10, 15, 12, tzinfo=UTC)
    november = datetime(2026, 11, 2, 9, tzinfo=UTC)
    vo_eur = support.vendor_order(vendor_id=vendor, subtotal_minor=10_000)
    vo_usd = support.vendor_order(vendor_id=vendor, subtotal_minor=2_000)
    vo_late = support.vendor_order(vendor_id=vendor, subtotal_minor=4_000)
    paid_eur = support.order_paid(vo_eur, occurred_at=october)
    support.deliver(
        paid_eur,
        support.order_paid(vo_usd, currency="USD", occurred_at=october),
        support.order_paid(vo_late, occurred_at=november),
    )
    refund = support.refund_issued(paid_eur, vo_eur, 5_000).model_copy(
        update={"occurred_at": november}
    )
    support.deliver(refund)
    assert facade.vendor_balance(vendor_id=vendor) == {"EUR": 8_500 - 4_250 + 3_400, "USD": 1_700}

    statement = [
        (line.kind, line.currency, line.gross_minor)
        for line in facade.vendor_statement(vendor_id=vendor)
    ]
    # Newest first; the two October sales share their time, so their order is not asserted.
    assert statement[:2] == [("refund", "EUR", -5_000), ("sale", "EUR", 4_000)]
    assert sorted(statement[2:]) == [("sale", "EUR", 10_000), ("sale", "USD", 2_000)]
    octobers = facade.vendor_statement(
        vendor_id=vendor, date_from=october.date(), date_to=october.date()
    )
    assert sorted(line.currency for line in octobers) == ["EUR", "USD"]
    assert len(facade.vendor_statement(vendor_id=vendor, currency="USD")) == 1
    assert len(facade.vendor_statement(vendor_id=vendor, limit=2, offset=3)) == 1

    totals = {
        (row.period.strftime("%Y-%m"), row.currency): (row.commission_minor, row.sales, row.refunds)
        for row in platform_totals(postings=Posting.objects.filter(vendor_id=vendor))
    }
    assert totals == {
        ("2026-10", "EUR"): (1_500, 1, 0),
        ("2026-10", "USD"): (300, 1, 0),
        ("2026-11", "EUR"): (600 - 750, 1, 1),
    }
