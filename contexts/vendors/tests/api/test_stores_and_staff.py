"""Stores, logos and staff through the vendors API."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from bazaar_platform.events.models import OutboxMessage
from contexts.vendors.models import Store, VendorMember
from contexts.vendors.tests import support

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def image(fmt: str = "PNG", size: tuple[int, int] = (32, 32), name: str = "logo.png") -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, "blue").save(buffer, fmt)
    buffer.seek(0)
    buffer.name = name
    return buffer


def _create(api, headers, **fields):
    body = {"name": "A store", "slug": support.unique("st"), "currency": "EUR", **fields}
    return api.post("/api/v1/vendors/stores/create", body, format="json", **headers)


def test_store_lifecycle(api, registered):
    result, headers = registered(plan="pro")
    created = _create(
        api, headers, description="Lamps", city="Lyon", country="FR", opening_state="closed"
    )
    assert created.status_code == 201, created.content
    store = support.data(created)
    assert (store["opening_state"], store["country"], store["vendor_id"]) == (
        "closed",
        "FR",
        result["vendor"]["id"],
    )
    listed = support.data(api.get("/api/v1/vendors/stores", **headers))
    assert [s["id"] for s in listed] == [result["store"]["id"], store["id"]]
    updated = api.patch(
        f"/api/v1/vendors/stores/{store['id']}/update",
        {"opening_state": "open", "name": "Lamps & Co"},
        format="json",
        **headers,
    )
    assert support.data(updated)["opening_state"] == "open"
    event = OutboxMessage.objects.filter(event_type="vendors.store_updated").latest("id")
    assert set(event.message["payload"]["changed"]) == {"opening_state", "name"}
    deleted = api.delete(f"/api/v1/vendors/stores/{store['id']}/delete", **headers)
    assert deleted.status_code == 204
    assert not Store.objects.filter(pk=store["id"]).exists()
    gone = OutboxMessage.objects.filter(event_type="vendors.store_deleted").latest("id")
    assert gone.message["payload"]["store_count"] == 1


def test_store_input_is_validated(api, registered):
    _, headers = registered(plan="pro")
    taken = support.data(api.get("/api/v1/vendors/stores", **headers))[0]["slug"]
    cases = [
        ({"slug": taken}, 409, "slug_taken"),
        ({"currency": "EURO"}, 400, "validation_error"),
        ({"currency": "ABC"}, 400, "validation_error"),
        ({"opening_state": "ajar"}, 400, "validation_error"),
        ({"name": ""}, 400, "validation_error"),
        ({"slug": "UPPER"}, 400, "validation_error"),
        ({"owner": "me"}, 400, "validation_error"),
    ]
    before = Store.objects.count()
    for fields, status, code in cases:
        response = _create(api, headers, **fields)
        assert (response.status_code, support.error(response)["code"]) == (status, code), fields
    assert Store.objects.count() == before
    store_id = support.data(api.get("/api/v1/vendors/stores", **headers))[0]["id"]
    other = _create(api, headers)
    clash = api.patch(
        f"/api/v1/vendors/stores/{store_id}/update",
        {"slug": support.data(other)["slug"]},
        format="json",
        **headers,
    )
    assert (clash.status_code, support.error(clash)["code"]) == (409, "slug_taken")


def test_logo_upload_checks_type_size_and_pixels(api, registered, settings):
    result, headers = registered()
    url = f"/api/v1/vendors/stores/{result['store']['id']}/logo"
    ok = api.put(url, {"logo": image()}, format="multipart", **headers)
    assert ok.status_code == 200, ok.content
    logo_url = support.data(ok)["logo_url"]
    assert logo_url.endswith(".png")
    stored = Store.objects.get(pk=result["store"]["id"]).logo
    assert Path(stored.path).is_file()
    assert Path(stored.path).is_relative_to(Path(settings.MEDIA_ROOT))

    jpeg = api.put(url, {"logo": image("JPEG", name="x.jpg")}, format="multipart", **headers)
    assert support.data(jpeg)["logo_url"].endswith(".jpg")
    assert not Path(stored.path).exists(), "the replaced logo is deleted"

    svg = io.BytesIO(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    svg.name = "logo.svg"
    refused = api.put(url, {"logo": svg}, format="multipart", **headers)
    assert (refused.status_code, support.error(refused)["code"]) == (400, "invalid_logo")
    gif = api.put(url, {"logo": image("GIF", name="x.gif")}, format="multipart", **headers)
    assert (gif.status_code, support.error(gif)["code"]) == (400, "invalid_logo")
    truncated = image()
    truncated = io.BytesIO(truncated.getvalue()[:60])
    truncated.name = "cut.png"
    broken = api.put(url, {"logo": truncated}, format="multipart", **headers)
    assert (broken.status_code, support.error(broken)["code"]) == (400, "invalid_logo")

    settings.VENDORS_LOGO_MAX_BYTES = 1000
    noisy = io.BytesIO()
    Image.effect_noise((300, 300), 100).convert("RGB").save(noisy, "PNG")
    noisy.seek(0)
    noisy.name = "noisy.png"
    too_big = api.put(url, {"logo": noisy}, format="multipart", **headers)
    assert (too_big.status_code, support.error(too_big)["code"]) == (413, "logo_too_large")
    settings.VENDORS_LOGO_MAX_BYTES = 512 * 1024
    settings.VENDORS_LOGO_MAX_PIXELS = 100 * 100
    wide = api.put(url, {"logo": image(size=(200, 100))}, format="multipart", **headers)
    assert (wide.status_code, support.error(wide)["code"]) == (413, "logo_too_large")
    missing = api.put(url, {}, format="multipart", **headers)
    assert missing.status_code == 400
    # the refused uploads left the JPEG in place
    assert support.data(api.get(f"/api/v1/vendors/stores/{result['store']['id']}", **headers))[
        "logo_url"
    ].endswith(".jpg")
    cleared = api.delete(f"{url}/delete", **headers)
    assert support.data(cleared)["logo_url"] is None


def test_staff_roles_decide_what_members_may_do(api, registered):
    result, owner = registered(plan="growth")
    email = f"{support.unique('mgr')}@example.test"
    added = api.post(
        "/api/v1/vendors/staff/add", {"email": email, "role": "manager"}, format="json", **owner
    )
    assert added.status_code == 201, added.content
    member = support.data(added)
    assert member["role"] == "manager"
    # the new member chooses a password through the e-mailed link; here: set one directly
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(pk=member["user_id"])
    user.set_password(support.PASSWORD)
    user.save()
    manager = support.login(api, email)
    assert support.data(api.get("/api/v1/vendors/me", **manager))["role"] == "manager"
    assert _create(api, manager).status_code == 201
    refused = api.post(
        "/api/v1/vendors/staff/add",
        {"email": f"{support.unique('x')}@example.test", "role": "staff"},
        format="json",
        **manager,
    )
    assert (refused.status_code, support.error(refused)["code"]) == (403, "vendor_role_required")
    owner_row = VendorMember.objects.get(role="owner", vendor_id=result["vendor"]["id"])
    fixed = api.patch(
        f"/api/v1/vendors/staff/{owner_row.pk}/update", {"role": "staff"}, format="json", **owner
    )
    assert (fixed.status_code, support.error(fixed)["code"]) == (409, "owner_role_fixed")
    demoted = api.patch(
        f"/api/v1/vendors/staff/{member['id']}/update", {"role": "staff"}, format="json", **owner
    )
    assert support.data(demoted)["role"] == "staff"
    blocked = _create(api, manager)
    assert (blocked.status_code, support.error(blocked)["code"]) == (403, "vendor_role_required")
    removed = api.delete(f"/api/v1/vendors/staff/{member['id']}/remove", **owner)
    assert removed.status_code == 204
    gone = api.get("/api/v1/vendors/me", **manager)
    assert (gone.status_code, support.error(gone)["code"]) == (403, "not_a_vendor_member")


def test_staff_seats_are_limited_by_the_plan(api, registered):
    _, owner = registered(plan="free")  # one seat: the owner's
    response = api.post(
        "/api/v1/vendors/staff/add",
        {"email": f"{support.unique('s')}@example.test", "role": "staff"},
        format="json",
        **owner,
    )
    assert response.status_code == 403
    err = support.error(response)
    assert err["code"] == "plan_limit_reached"
    assert err["limit"]["resource"] == "staff_seats"
    assert "1 staff seats" in err["message"]


def test_a_member_of_another_vendor_cannot_be_added(api, registered):
    theirs, _ = registered(plan="growth")
    _, owner = registered(plan="growth")
    from contexts.auth import facade as auth

    profile = auth.user_profile(user_id=theirs["user_id"])
    assert profile is not None
    response = api.post(
        "/api/v1/vendors/staff/add",
        {"email": profile.email, "role": "staff"},
        format="json",
        **owner,
    )
    assert (response.status_code, support.error(response)["code"]) == (
        409,
        "member_of_another_vendor",
    )


def test_non_members_and_anonymous_callers_are_refused(api):
    assert api.get("/api/v1/vendors/me").status_code in (401, 403)
    from contexts.auth import facade as auth

    email = f"{support.unique('cust')}@example.test"
    auth.user_create_or_get(email=email, full_name="C", password=support.PASSWORD)
    customer = support.login(api, email)
    response = api.get("/api/v1/vendors/stores", **customer)
    assert (response.status_code, support.error(response)["code"]) == (403, "permission_denied")
