"""The vendor ledger API: each vendor sees only its own money; bad queries are 400s."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from contexts.auth import facade as auth
from contexts.ledger.tests import support

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=False)]


@pytest.fixture
def two(api) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two vendors with sales (and a refund for the first)."""
    mine, theirs = support.register(api), support.register(api)
    vo_mine = support.vendor_order(
        vendor_id=uuid.UUID(mine["vendor"]["id"]),
        store_id=uuid.UUID(mine["store"]["id"]),
        subtotal_minor=10_000,
    )
    vo_theirs = support.vendor_order(
        vendor_id=uuid.UUID(theirs["vendor"]["id"]), subtotal_minor=7_000
    )
    paid = support.order_paid(vo_mine, vo_theirs, occurred_at=datetime(2026, 10, 1, tzinfo=UTC))
    support.deliver(paid)
    support.deliver(
        support.order_paid(
            support.vendor_order(vendor_id=uuid.UUID(mine["vendor"]["id"]), subtotal_minor=100),
            currency="GBP",
        )
    )
    support.deliver(support.refund_issued(paid, vo_mine, 2_000))
    mine["vendor_order_id"], theirs["vendor_order_id"] = (
        vo_mine["vendor_order_id"],
        vo_theirs["vendor_order_id"],
    )
    return mine, theirs


def test_a_vendor_sees_its_own_balance_and_statement_only(api, two):
    mine, theirs = two
    balance = api.get("/api/v1/ledger/balance", **mine["headers"])
    assert balance.status_code == 200, balance.content
    # free plan: 15 %. 100.00 - 15.00, minus the refund of 20.00 (3.00 commission back); GBP 1.00 - 0.15
    assert balance.json()["data"] == {
        "vendor_id": mine["vendor"]["id"],
        "balances": {"EUR": 8_500 - 1_700, "GBP": 85},
    }
    assert api.get("/api/v1/ledger/balance", **theirs["headers"]).json()["data"]["balances"] == {
        "EUR": 5_950
    }

    statement = api.get("/api/v1/ledger/statement", **mine["headers"]).json()
    rows = statement["data"]
    assert statement["meta"]["pagination"]["count"] == 3
    assert {r["vendor_order_id"] for r in rows} >= {mine["vendor_order_id"]}
    assert theirs["vendor_order_id"] not in {r["vendor_order_id"] for r in rows}
    refund = next(r for r in rows if r["kind"] == "refund")
    assert (refund["gross_minor"], refund["commission_minor"], refund["earnings_minor"]) == (
        -2_000,
        -300,
        -1_700,
    )
    assert {e["kind"]: e["amount_minor"] for e in refund["entries"]} == {
        "gross_sale": -2_000,
        "commission": -300,
        "vendor_earnings": -1_700,
    }
    theirs_rows = api.get("/api/v1/ledger/statement", **theirs["headers"]).json()["data"]
    assert [r["vendor_order_id"] for r in theirs_rows] == [theirs["vendor_order_id"]]


def test_statement_filters_and_pages(api, two):
    mine, _ = two
    headers = mine["headers"]

    def kinds(query: str) -> list[tuple[str, str]]:
        response = api.get(f"/api/v1/ledger/statement?{query}", **headers)
        assert response.status_code == 200, response.content
        return sorted((r["kind"], r["currency"]) for r in response.json()["data"])

    assert kinds("date_from=2026-10-01&date_to=2026-10-01") == [("sale", "EUR")]
    assert kinds("date_to=2026-09-30") == []
    assert kinds("currency=GBP") == [("sale", "GBP")]
    assert kinds("kind=refund") == [("refund", "EUR")]
    page = api.get("/api/v1/ledger/statement?limit=1&offset=1", **headers).json()
    assert len(page["data"]) == 1
    assert page["meta"]["pagination"]["count"] == 3


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("date_from=2026-11-02&date_to=2026-11-01", "date_to"),
        ("date_from=yesterday", "date_from"),
        ("date_to=2026-02-30", "date_to"),
        ("currency=EURO", "currency"),
        ("currency=XXY", "currency"),
        ("kind=payout", "kind"),
        ("vendor_id=00000000-0000-0000-0000-000000000000", "vendor_id"),
        ("limit=100000", "limit"),
        ("limit=-1", "limit"),
    ],
)
def test_bad_statement_queries_are_400(api, two, query, field):
    mine, _ = two
    response = api.get(f"/api/v1/ledger/statement?{query}", **mine["headers"])
    assert response.status_code == 400, (query, response.content)
    error = response.json()["error"]
    assert field in (error.get("fields") or {}) or field in error["message"], error


def test_strangers_get_nothing(api, two):
    for path in ("/api/v1/ledger/balance", "/api/v1/ledger/statement"):
        assert api.get(path).status_code == 401
    auth.user_create_or_get(
        email="shopper@example.test", full_name="Shay Shopper", password=support.PASSWORD
    )
    customer = support.login(api, "shopper@example.test")
    for path in ("/api/v1/ledger/balance", "/api/v1/ledger/statement"):
        response = api.get(path, **customer)
        assert response.status_code == 403, response.content


def test_a_vendor_without_sales_has_an_empty_balance(api, db):
    vendor = support.register(api)
    balance = api.get("/api/v1/ledger/balance", **vendor["headers"]).json()["data"]
    assert balance["balances"] == {}
    statement = api.get("/api/v1/ledger/statement", **vendor["headers"]).json()
    assert statement["data"] == []
