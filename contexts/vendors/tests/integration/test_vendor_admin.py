"""The vendor admin site (/vendor-admin/): each vendor sees and changes only its own data;
staff see everything in /admin/."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from contexts.auth import facade as auth
from contexts.vendors.models import Store, Vendor, VendorMember
from contexts.vendors.tests import support

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def browser(email: str, password: str = support.PASSWORD) -> Client:
    client = Client()
    response = client.post(
        "/vendor-admin/login/?next=/vendor-admin/", {"username": email, "password": password}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


@pytest.fixture
def two(registered):
    mine, _ = registered(plan="growth", legal_name="Mine Ltd")
    theirs, _ = registered(plan="growth", legal_name="Theirs Ltd")
    me = VendorMember.objects.get(vendor_id=mine["vendor"]["id"])
    return mine, theirs, me.email


def test_non_members_cannot_log_in(db):
    email = f"{support.unique('c')}@example.test"
    auth.user_create_or_get(email=email, full_name="Cust", password=support.PASSWORD)
    response = Client().post(
        "/vendor-admin/login/", {"username": email, "password": support.PASSWORD}
    )
    assert response.status_code == 200
    assert "does not belong to a vendor" in response.content.decode()
    assert Client().get("/vendor-admin/").status_code == 302  # to the login page


def test_lists_show_only_the_vendors_own_rows(two):
    mine, theirs, email = two
    client = browser(email)
    page = client.get("/vendor-admin/vendors/store/").content.decode()
    assert mine["store"]["name"] in page
    assert theirs["store"]["name"] not in page
    vendors_page = client.get("/vendor-admin/vendors/vendor/").content.decode()
    assert "Mine Ltd" in vendors_page
    assert "Theirs Ltd" not in vendors_page
    subs = client.get("/vendor-admin/subscriptions/subscription/").content.decode()
    assert "1 subscription" in subs
    charges = client.get("/vendor-admin/subscriptions/charge/").content.decode()
    assert "1 charge" in charges


def test_another_vendors_rows_cannot_be_opened_changed_or_deleted(two):
    _, theirs, email = two
    client = browser(email)
    other_store = theirs["store"]["id"]
    opened = client.get(f"/vendor-admin/vendors/store/{other_store}/change/")
    assert opened.status_code == 302  # "doesn't exist", back to the index
    before = Store.objects.get(pk=other_store)
    posted = client.post(
        f"/vendor-admin/vendors/store/{other_store}/change/",
        {"name": "Pwned", "slug": before.slug, "currency": "EUR", "opening_state": "closed"},
    )
    assert posted.status_code == 302
    deleted = client.post(f"/vendor-admin/vendors/store/{other_store}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    after = Store.objects.get(pk=other_store)
    assert (after.name, after.opening_state) == (before.name, before.opening_state)
    other_vendor = theirs["vendor"]["id"]
    assert client.get(f"/vendor-admin/vendors/vendor/{other_vendor}/change/").status_code == 302
    other_sub = theirs["subscription"]["id"]
    assert (
        client.get(f"/vendor-admin/subscriptions/subscription/{other_sub}/change/").status_code
        == 302
    )
    # a bulk delete naming another vendor's store deletes nothing of theirs
    client.post(
        "/vendor-admin/vendors/store/",
        {"action": "delete_selected", "_selected_action": [other_store], "post": "yes"},
    )
    assert Store.objects.filter(pk=other_store).exists()


def test_owners_edit_their_stores_through_the_services(two):
    mine, _, email = two
    client = browser(email)
    store = Store.objects.get(pk=mine["store"]["id"])
    response = client.post(
        f"/vendor-admin/vendors/store/{store.pk}/change/",
        {
            "name": "Renamed",
            "slug": store.slug,
            "currency": "EUR",
            "opening_state": "closed",
            "description": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    store.refresh_from_db()
    assert (store.name, store.opening_state) == ("Renamed", "closed")
    from bazaar_platform.events.models import OutboxMessage

    assert OutboxMessage.objects.filter(
        event_type="vendors.store_updated", aggregate_id=str(store.vendor_id)
    ).exists()
    added = client.post(
        "/vendor-admin/vendors/store/add/",
        {
            "name": "Added",
            "slug": support.unique("adm"),
            "currency": "EUR",
            "opening_state": "open",
        },
    )
    assert added.status_code == 302, added.content.decode()[:3000]
    new = Store.objects.get(name="Added")
    assert str(new.vendor_id) == mine["vendor"]["id"]
    # growth: 3 stores; the third fits, the fourth is refused with the plan's reason
    client.post(
        "/vendor-admin/vendors/store/add/",
        {
            "name": "Third",
            "slug": support.unique("adm"),
            "currency": "EUR",
            "opening_state": "open",
        },
    )
    refused = client.post(
        "/vendor-admin/vendors/store/add/",
        {
            "name": "Fourth",
            "slug": support.unique("adm"),
            "currency": "EUR",
            "opening_state": "open",
        },
    )
    assert refused.status_code == 200
    assert "Growth plan allows 3 stores" in refused.content.decode()
    assert Store.objects.filter(vendor_id=mine["vendor"]["id"]).count() == 3
    bad = client.post(
        f"/vendor-admin/vendors/store/{store.pk}/change/",
        {"name": "x", "slug": store.slug, "currency": "XXX", "opening_state": "open"},
    )
    assert bad.status_code == 200  # the form with its error
    store.refresh_from_db()
    assert store.currency == "EUR"


def test_staff_members_may_look_but_not_touch(api, two):
    mine, _, owner_email = two
    headers = support.login(api, owner_email)
    email = f"{support.unique('st')}@example.test"
    assert (
        api.post(
            "/api/v1/vendors/staff/add", {"email": email, "role": "staff"}, format="json", **headers
        ).status_code
        == 201
    )
    user = get_user_model().objects.get(email=email)
    user.set_password(support.PASSWORD)
    user.save()
    client = browser(email)
    assert client.get("/vendor-admin/vendors/store/").status_code == 200
    assert client.get("/vendor-admin/vendors/store/add/").status_code == 403
    store_id = mine["store"]["id"]
    view = client.get(f"/vendor-admin/vendors/store/{store_id}/change/")
    assert view.status_code == 200
    assert 'name="_save"' not in view.content.decode()
    client.post(
        f"/vendor-admin/vendors/store/{store_id}/change/",
        {"name": "Staff edit", "slug": "staff-edit", "currency": "EUR", "opening_state": "open"},
    )
    assert Store.objects.get(pk=store_id).name != "Staff edit"
    assert (
        client.post(f"/vendor-admin/vendors/store/{store_id}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Store.objects.filter(pk=store_id).exists()
    # members: only the owner changes roles
    member = VendorMember.objects.get(user_id=user.pk)
    assert client.get(f"/vendor-admin/vendors/vendormember/{member.pk}/change/").status_code == 200
    client.post(f"/vendor-admin/vendors/vendormember/{member.pk}/change/", {"role": "manager"})
    member.refresh_from_db()
    assert member.role == "staff"


def test_staff_see_everything_in_the_staff_admin(two, admin_client):
    mine, theirs, _ = two
    page = admin_client.get("/admin/vendors/store/").content.decode()
    assert mine["store"]["name"] in page
    assert theirs["store"]["name"] in page
    assert (
        admin_client.get(f"/admin/vendors/vendor/{theirs['vendor']['id']}/change/").status_code
        == 200
    )
    assert Vendor.objects.count() == 2
    # staff are not vendors: the vendor site is closed to them
    assert admin_client.get("/vendor-admin/").status_code == 302
