"""The staff admin: postings and entries are read-only; the totals are shown."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from django.test import Client

from contexts.ledger.models import Entry, Posting
from contexts.ledger.tests import support

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_staff_see_postings_entries_and_platform_totals_but_change_nothing(admin_client):
    vendor = uuid.uuid4()
    vo = support.vendor_order(vendor_id=vendor, subtotal_minor=20_000)
    support.deliver(support.order_paid(vo, occurred_at=datetime(2026, 9, 3, tzinfo=UTC)))
    posting = Posting.objects.get(vendor_id=vendor)
    entry = Entry.objects.filter(vendor_id=vendor).first()
    assert entry is not None

    page = admin_client.get("/admin/ledger/posting/").content.decode()
    assert 'id="platform-totals"' in page
    assert "2026-09" in page
    assert "3000" in page  # 15 % of 200.00
    september = admin_client.get(
        "/admin/ledger/posting/?occurred_at__year=2026&occurred_at__month=9"
    )
    assert september.status_code == 200
    assert "3000" in september.content.decode()
    assert admin_client.get("/admin/ledger/entry/").status_code == 200
    found = admin_client.get(f"/admin/ledger/posting/?q={vendor}").content.decode()
    assert str(vo["vendor_order_id"]) in found
    for junk in ("not-a-uuid", "%27%3B--"):
        assert admin_client.get(f"/admin/ledger/posting/?q={junk}").status_code == 200
        assert admin_client.get(f"/admin/ledger/entry/?q={junk}").status_code == 200

    detail = admin_client.get(f"/admin/ledger/posting/{posting.pk}/change/")
    assert detail.status_code == 200  # a view-only page
    assert b'name="_save"' not in detail.content
    assert admin_client.get("/admin/ledger/posting/add/").status_code == 403
    assert admin_client.get(f"/admin/ledger/entry/{entry.pk}/delete/").status_code == 403
    posted = admin_client.post(
        f"/admin/ledger/entry/{entry.pk}/change/", {"amount_minor": 1, "kind": "commission"}
    )
    assert posted.status_code == 403
    entry.refresh_from_db()
    assert entry.amount_minor != 1


def test_vendors_see_only_their_own_postings_in_the_vendor_admin(api):
    mine, theirs = support.register(api), support.register(api)
    vo_mine = support.vendor_order(vendor_id=uuid.UUID(mine["vendor"]["id"]), subtotal_minor=4_321)
    vo_theirs = support.vendor_order(
        vendor_id=uuid.UUID(theirs["vendor"]["id"]), subtotal_minor=8_765
    )
    support.deliver(support.order_paid(vo_mine, vo_theirs))
    browser = Client()
    login = browser.post(
        "/vendor-admin/login/?next=/vendor-admin/",
        {"username": mine["email"], "password": support.PASSWORD},
    )
    assert login.status_code == 302, login.content.decode()[:500]
    page = browser.get("/vendor-admin/ledger/posting/").content.decode()
    assert str(vo_mine["vendor_order_id"]) in page
    assert str(vo_theirs["vendor_order_id"]) not in page
    own = Posting.objects.get(vendor_order_id=vo_mine["vendor_order_id"])
    other = Posting.objects.get(vendor_order_id=vo_theirs["vendor_order_id"])
    detail = browser.get(f"/vendor-admin/ledger/posting/{own.pk}/change/")
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content
    hidden = browser.get(f"/vendor-admin/ledger/posting/{other.pk}/change/")
    assert hidden.status_code == 302  # "does not exist": another vendor's row is not found
    assert browser.get(f"/vendor-admin/ledger/posting/{own.pk}/delete/").status_code == 403
    assert browser.get("/vendor-admin/ledger/posting/add/").status_code == 403
